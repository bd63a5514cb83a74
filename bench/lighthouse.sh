#!/usr/bin/env bash
# What a phone feels: Lighthouse 12.2 (npm, installed on first use under
# target/tools/) with Debian's Chromium, mobile preset (simulated slow 4G and
# a 4x slower CPU), three runs of each page of the release site: the home
# page, a lookup result, the pay page, a receipt and the privacy policy.
# Prints the median of each figure beside its target (issue 18): 100 in
# performance, accessibility, best practices and SEO on every page, LCP at
# most 1.0 s on the pay page, CLS 0, TBT at most 50 ms. Options: --runs N.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
[[ ${1:-} == --runs ]] && runs=$2
source scripts/setup.sh >/dev/null
source scripts/env.sh

tools=target/tools/lighthouse
if [[ ! -x $tools/node_modules/.bin/lighthouse ]]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --no-audit --no-fund --silent lighthouse@12.2.3 >/dev/null)
fi
lighthouse=$PWD/$tools/node_modules/.bin/lighthouse

source bench/site.sh
release_site >/dev/null
start_site
receipt=$(pay_demo_code 11202600000003)

reports=$(mktemp -d)
pages=("/" "/?code=11202600000001" "/pay/11202600000001" "$receipt" "/documents/privacy-policy")
for i in "${!pages[@]}"; do
  for run in $(seq 1 "$runs"); do
    CHROME_PATH=/usr/bin/chromium "$lighthouse" "$base${pages[$i]}" --quiet \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
      --output=json --output-path="$reports/page$i-run$run.json" >/dev/null 2>&1 ||
      echo "lighthouse failed on ${pages[$i]} (run $run)" >&2
  done
done

python3 - "$reports" "$runs" "${pages[@]}" <<'PY'
import json, statistics, sys
reports, runs, pages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
cats = ["performance", "accessibility", "best-practices", "seo"]
print(f"{'page':34} {'perf':>5} {'a11y':>5} {'b.p.':>5} {'seo':>5} {'LCP s':>6} {'CLS':>6} {'TBT ms':>7}")
misses = []
for i, page in enumerate(pages):
    found = []
    for run in range(1, runs + 1):
        try:
            found.append(json.load(open(f"{reports}/page{i}-run{run}.json")))
        except (OSError, ValueError):
            pass
    if not found:
        print(f"{page[:34]:34} no report"); misses.append(f"{page}: no report"); continue
    def med(f):
        values = []
        for r in found:
            try:
                values.append(f(r))
            except (KeyError, TypeError):
                pass  # a run whose audit errored: the other runs decide
        return statistics.median(values) if values else float("nan")
    score = {c: med(lambda r: round((r["categories"][c]["score"] or 0) * 100)) for c in cats}
    lcp = med(lambda r: r["audits"]["largest-contentful-paint"]["numericValue"]) / 1000
    cls = med(lambda r: r["audits"]["cumulative-layout-shift"]["numericValue"])
    tbt = med(lambda r: r["audits"]["total-blocking-time"]["numericValue"])
    print(f"{page[:34]:34} {score['performance']:>5.0f} {score['accessibility']:>5.0f} "
          f"{score['best-practices']:>5.0f} {score['seo']:>5.0f} {lcp:>6.2f} {cls:>6.3f} {tbt:>7.0f}")
    for c in cats:
        if score[c] < 100:
            failed = sorted({a["id"] for r in found for a in r["audits"].values()
                             if a.get("score") is not None and a["score"] < 1
                             and any(ref["id"] == a["id"] for ref in r["categories"][c]["auditRefs"] if ref.get("weight", 0) > 0)})
            misses.append(f"{page}: {c} {score[c]:.0f} ({', '.join(failed)})")
    if page.startswith("/pay/") and lcp > 1.0: misses.append(f"{page}: LCP {lcp:.2f} s > 1.0 s")
    if cls > 0: misses.append(f"{page}: CLS {cls:.3f} > 0")
    if tbt > 50: misses.append(f"{page}: TBT {tbt:.0f} ms > 50 ms")
print(f"median of {runs} runs; targets: 100 in every category, LCP <= 1.0 s on the pay page, CLS 0, TBT <= 50 ms")
print("all targets met" if not misses else "missed:\n  " + "\n  ".join(misses))
PY
rm -rf "$reports"
