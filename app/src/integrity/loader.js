// Starts the card form once the page is idle: loads the module pinned by
// the import map, fetches the WebAssembly with its hash (the browser
// refuses either if a byte differs), then wakes each island and marks it
// `data-ready` (for tests and CSS). Neither file is preloaded: on a slow
// network a preload holds back the page's first paint, and the form works
// without them. The island walk is Leptos's own
// (leptos/src/hydration/island_script.js, MIT), which cannot be given hashes.
((js, wasm, wasmIntegrity) => {
	const childrenCallbacks = [];
	async function hydrateIsland(el, mod) {
		const island = mod[el.dataset.component || ""];
		if (!island) return;
		const children = childrenCallbacks[childrenCallbacks.length - 1];
		if (children) children();
		await island(el);
		el.dataset.ready = "true";
	}
	async function traverse(node, mod) {
		if (node.nodeType !== Node.ELEMENT_NODE) return;
		const tag = node.tagName.toLowerCase();
		if (tag === "leptos-island") await hydrateIsland(node, mod);
		if (tag === "leptos-children") childrenCallbacks.push(node.$$on_hydrate);
		for (const child of node.children) await traverse(child, mod);
		if (tag === "leptos-children") childrenCallbacks.pop();
	}
	const idle = (f) => ("requestIdleCallback" in window ? requestIdleCallback(f) : f());
	idle(async () => {
		const mod = await import(js);
		await mod.default({ module_or_path: new Request(wasm, { integrity: wasmIntegrity }) });
		// A breath between starting the WebAssembly and waking the islands:
		// two short tasks, not one long one, for a slow phone's main thread.
		await new Promise((resolve) => setTimeout(resolve));
		mod.hydrate();
		await traverse(document.body, mod);
	});
})
