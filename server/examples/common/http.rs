//! A minimal keep-alive HTTP/1.1 client.
//!
//! The load generator shares the machine's cores with the server and the
//! database, so it is kept to what a request needs: one write of a request
//! made from a template, one read of the answer. (A general HTTP client cost
//! a tenth of the machine's time here.)

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Keep-alive HTTP/1.1 connections to one server, reused one request at a
/// time each.
pub struct Connections {
    address: SocketAddr,
    idle: std::sync::Mutex<Vec<TcpStream>>,
}

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Connections {
    pub fn new(address: SocketAddr) -> Connections {
        Connections {
            address,
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Posts `body` as JSON to `path`, as the client at `forwarded_for`
    /// behind a proxy.
    pub async fn post_json(
        &self,
        path: &str,
        body: &str,
        forwarded_for: &str,
    ) -> Result<Answer, String> {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Accept: application/json\r\nX-Forwarded-For: {forwarded_for}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        );
        self.send(request.as_bytes()).await
    }

    /// Gets `path` as a browser would (HTML, no compression).
    #[allow(dead_code, reason = "throughput only posts payments")]
    pub async fn get(&self, path: &str) -> Result<Answer, String> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: text/html\r\n\r\n",
            self.address
        );
        self.send(request.as_bytes()).await
    }

    async fn send(&self, request: &[u8]) -> Result<Answer, String> {
        let idle = self.idle.lock().map_err(|e| e.to_string())?.pop();
        let reused = idle.is_some();
        let stream = match idle {
            Some(stream) => stream,
            None => self.connect().await?,
        };
        match self.exchange(stream, request).await {
            // The server closed the idle connection as the request went out
            // (its idle timeout): nothing was answered, so the request is
            // sent again on a new one, as browsers do.
            Err(Exchange::Unanswered(_)) if reused => {
                let stream = self.connect().await?;
                self.exchange(stream, request)
                    .await
                    .map_err(Exchange::into_message)
            }
            result => result.map_err(Exchange::into_message),
        }
    }

    async fn connect(&self) -> Result<TcpStream, String> {
        let stream = TcpStream::connect(self.address)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(stream)
    }

    async fn exchange(&self, mut stream: TcpStream, request: &[u8]) -> Result<Answer, Exchange> {
        if let Err(e) = stream.write_all(request).await {
            return Err(Exchange::Unanswered(format!("send: {e}")));
        }
        let mut first = [0u8; 1];
        match stream.peek(&mut first).await {
            Ok(0) => return Err(Exchange::Unanswered("closed before answering".into())),
            Err(e) => return Err(Exchange::Unanswered(format!("receive: {e}"))),
            Ok(_) => {}
        }
        let (answer, keep_alive) = read_response(&mut stream).await.map_err(Exchange::Broken)?;
        if keep_alive && let Ok(mut idle) = self.idle.lock() {
            idle.push(stream);
        }
        Ok(answer)
    }
}

/// Why an exchange failed: before any byte of an answer (the request can be
/// sent again), or in the middle of one.
enum Exchange {
    Unanswered(String),
    Broken(String),
}

impl Exchange {
    fn into_message(self) -> String {
        match self {
            Exchange::Unanswered(message) | Exchange::Broken(message) => message,
        }
    }
}

/// Reads more of the stream into `buffer`; an error if it closed.
async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(), String> {
    match stream.read_buf(buffer).await {
        Ok(0) => Err("connection closed before the whole answer".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("receive: {e}")),
    }
}

/// Reads one HTTP/1.1 response, with a `Content-Length` or chunked.
async fn read_response(stream: &mut TcpStream) -> Result<(Answer, bool), String> {
    let mut buffer = Vec::with_capacity(4096);
    let header_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        fill(stream, &mut buffer).await?;
    };
    let head = std::str::from_utf8(&buffer[..header_end]).map_err(|e| e.to_string())?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or("no status line")?;
    let mut length = None;
    let mut chunked = false;
    let mut keep_alive = true;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            keep_alive = false;
        }
    }
    let body = if chunked {
        read_chunks(stream, buffer, header_end).await?
    } else {
        let length = length.unwrap_or(0);
        while buffer.len() < header_end + length {
            fill(stream, &mut buffer).await?;
        }
        buffer[header_end..header_end + length].to_vec()
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    Ok((Answer { status, body }, keep_alive))
}

async fn read_chunks(
    stream: &mut TcpStream,
    mut buffer: Vec<u8>,
    mut at: usize,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(end) = buffer[at..].windows(2).position(|w| w == b"\r\n") {
                break at + end;
            }
            fill(stream, &mut buffer).await?;
        };
        let size = std::str::from_utf8(&buffer[at..line_end])
            .ok()
            .and_then(|line| usize::from_str_radix(line.split(';').next()?.trim(), 16).ok())
            .ok_or("bad chunk size")?;
        let data = line_end + 2;
        while buffer.len() < data + size + 2 {
            fill(stream, &mut buffer).await?;
        }
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&buffer[data..data + size]);
        at = data + size + 2;
    }
}
