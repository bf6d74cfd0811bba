// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! HTTP load for the job service's benchmark (bench/service.py). Python alone on two cores cannot
//! send 2,000 requests a second and still time each one honestly, hence a small Rust client.
//!
//! ```text
//! loadgen post URL --body JSON|@FILE [--n N] [--clients C] [--header 'K: V']... [--ids]
//! loadgen get URL [--rate R] [--seconds T] [--clients C] [--header 'K: V']...
//! ```
//!
//! `post`: N requests shared by C clients, each as fast as its answers come (closed loop).
//! `get`: R requests a second for T seconds on a fixed schedule spread over C clients (open loop:
//! a slow answer does not delay the schedule of the other clients).
//! Prints one JSON object; latencies are microseconds, percentiles nearest-rank.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

type Error = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: loadgen post URL --body JSON|@FILE [--n N] [--clients C] [--header 'K: V']... [--ids]\n       \
                     loadgen get URL [--rate R] [--seconds T] [--clients C] [--header 'K: V']...";

#[derive(Debug)]
struct Args {
    mode: Mode,
    url: String,
    body: Bytes,
    n: usize,
    clients: usize,
    rate: f64,
    seconds: f64,
    headers: Vec<(String, String)>,
    ids: bool,
}

#[derive(Debug, PartialEq)]
enum Mode {
    Post,
    Get,
}

fn value<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    v.parse()
        .map_err(|_| format!("{flag}: not a valid value: {v:?}"))
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mode = match it.next().as_deref() {
        Some("post") => Mode::Post,
        Some("get") => Mode::Get,
        other => return Err(format!("first argument: `post` or `get`, not {other:?}")),
    };
    let url = it.next().ok_or("the URL is missing")?;
    let mut a = Args {
        mode,
        url,
        body: Bytes::new(),
        n: 2000,
        clients: 16,
        rate: 1000.0,
        seconds: 5.0,
        headers: Vec::new(),
        ids: false,
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--body" => {
                let v: String = value(&flag, it.next())?;
                a.body = match v.strip_prefix('@') {
                    Some(path) => std::fs::read(path)
                        .map_err(|e| format!("--body {v}: {e}"))?
                        .into(),
                    None => v.into_bytes().into(),
                };
            }
            "--n" => a.n = value(&flag, it.next())?,
            "--clients" => a.clients = value(&flag, it.next())?,
            "--rate" => a.rate = value(&flag, it.next())?,
            "--seconds" => a.seconds = value(&flag, it.next())?,
            "--header" => {
                let v: String = value(&flag, it.next())?;
                let (k, val) = v
                    .split_once(':')
                    .ok_or_else(|| format!("--header {v:?}: expected 'Name: value'"))?;
                a.headers.push((k.trim().to_owned(), val.trim().to_owned()));
            }
            "--ids" => a.ids = true,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    if a.clients == 0 {
        return Err("--clients must be at least 1".into());
    }
    if !(a.rate > 0.0 && a.rate.is_finite() && a.seconds > 0.0 && a.seconds.is_finite()) {
        return Err("--rate and --seconds must be positive".into());
    }
    if a.mode == Mode::Post && a.body.is_empty() {
        return Err("post needs --body".into());
    }
    Ok(a)
}

/// Where requests go: the socket address to dial and what goes in the request line and headers.
struct Target {
    addr: String,
    host: String,
    path: String,
    headers: Vec<(String, String)>,
}

fn target(url: &str, headers: Vec<(String, String)>) -> Result<Target, String> {
    let uri: Uri = url.parse().map_err(|e| format!("URL {url:?}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("URL {url:?}: only http:// is supported"));
    }
    let auth = uri
        .authority()
        .ok_or_else(|| format!("URL {url:?}: no host"))?;
    Ok(Target {
        addr: format!("{}:{}", auth.host(), auth.port_u16().unwrap_or(80)),
        host: auth.as_str().to_owned(),
        path: uri.path_and_query().map_or("/", |p| p.as_str()).to_owned(),
        headers,
    })
}

/// One keep-alive connection; a broken one is dialed again on the next request.
struct Client {
    target: Arc<Target>,
    conn: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    async fn new(target: Arc<Target>) -> Result<Self, Error> {
        let mut c = Client { target, conn: None };
        c.connect().await?;
        Ok(c)
    }

    async fn connect(&mut self) -> Result<(), Error> {
        let stream = TcpStream::connect(&self.target.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // A dropped connection shows up as the next request's error.
            let _ = conn.await;
        });
        self.conn = Some(sender);
        Ok(())
    }

    /// Sends one request and reads the whole answer; the time covers only that, not a redial.
    async fn send(&mut self, method: Method, body: Bytes) -> Result<(u16, Bytes, Duration), Error> {
        if self.conn.as_ref().is_none_or(|c| c.is_closed()) {
            self.connect().await?;
        }
        let t = &self.target;
        let mut req = Request::builder()
            .method(method)
            .uri(t.path.as_str())
            .header("host", t.host.as_str());
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in &t.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = req.body(Full::new(body))?;
        let conn = self.conn.as_mut().ok_or("not connected")?;
        let t0 = Instant::now();
        let answer = async {
            conn.ready().await?;
            let resp = conn.send_request(req).await?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, Error>((status, body))
        }
        .await;
        let took = t0.elapsed();
        match answer {
            Ok((status, body)) => Ok((status, body, took)),
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    late_us: Vec<u64>,
    statuses: BTreeMap<u16, usize>,
    errors: usize,
    last_error: Option<String>,
    ids: Vec<String>,
}

impl Tally {
    fn record(&mut self, answer: Result<(u16, Bytes, Duration), Error>, want_id: bool) {
        match answer {
            Ok((status, body, took)) => {
                self.latencies_us.push(micros(took));
                *self.statuses.entry(status).or_default() += 1;
                if want_id && (200..300).contains(&status) {
                    if let Some(id) = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v.get("job_id")?.as_str().map(str::to_owned))
                    {
                        self.ids.push(id);
                    }
                }
            }
            Err(e) => {
                self.errors += 1;
                self.last_error = Some(e.to_string());
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.late_us.extend(other.late_us);
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        self.errors += other.errors;
        self.last_error = other.last_error.or(self.last_error.take());
        self.ids.extend(other.ids);
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Nearest-rank percentile of sorted values; 0 for none.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn clients(target: &Arc<Target>, n: usize) -> Result<Vec<Client>, Error> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(Client::new(target.clone()).await?);
    }
    Ok(v)
}

async fn post(a: &Args, target: Arc<Target>) -> Result<Value, Error> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    let start = Instant::now();
    for mut client in clients(&target, a.clients).await? {
        let (next, body, n, want_ids) = (next.clone(), a.body.clone(), a.n, a.ids);
        set.spawn(async move {
            let mut tally = Tally::default();
            while next.fetch_add(1, Ordering::Relaxed) < n {
                tally.record(client.send(Method::POST, body.clone()).await, want_ids);
            }
            tally
        });
    }
    let tally = join(set).await?;
    let wall = start.elapsed().as_secs_f64();
    let accepted: usize = tally
        .statuses
        .iter()
        .filter(|(s, _)| (200..300).contains(*s))
        .map(|(_, n)| n)
        .sum();
    let mut out = summary(tally, wall);
    out["mode"] = json!("post");
    out["accepted"] = json!(accepted);
    out["accepted_per_s"] = json!(accepted as f64 / wall);
    if !a.ids {
        out.as_object_mut().map(|o| o.remove("ids"));
    }
    Ok(out)
}

async fn get(a: &Args, target: Arc<Target>) -> Result<Value, Error> {
    let total = (a.rate * a.seconds).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / a.rate);
    let mut set = JoinSet::new();
    let conns = clients(&target, a.clients).await?;
    let start = Instant::now() + Duration::from_millis(20);
    for (k, mut client) in conns.into_iter().enumerate() {
        let step = a.clients;
        set.spawn(async move {
            let mut tally = Tally::default();
            for i in (k..total).step_by(step) {
                let due = start + interval * u32::try_from(i).unwrap_or(u32::MAX);
                tokio::time::sleep_until(due.into()).await;
                tally.late_us.push(micros(due.elapsed()));
                tally.record(client.send(Method::GET, Bytes::new()).await, false);
            }
            tally
        });
    }
    let tally = join(set).await?;
    let wall = start.elapsed().as_secs_f64();
    let mut late = tally.late_us.clone();
    late.sort_unstable();
    let mut out = summary(tally, wall);
    out["mode"] = json!("get");
    out["target_per_s"] = json!(a.rate);
    // How far behind its schedule a request left: large values mean the client, not the
    // server, set the pace.
    out["late_p50_us"] = json!(percentile(&late, 50.0));
    out["late_p99_us"] = json!(percentile(&late, 99.0));
    out.as_object_mut().map(|o| o.remove("ids"));
    Ok(out)
}

async fn join(mut set: JoinSet<Tally>) -> Result<Tally, Error> {
    let mut all = Tally::default();
    while let Some(t) = set.join_next().await {
        all.merge(t?);
    }
    Ok(all)
}

fn summary(mut t: Tally, wall: f64) -> Value {
    t.latencies_us.sort_unstable();
    let lat = &t.latencies_us;
    let statuses: serde_json::Map<String, Value> = t
        .statuses
        .iter()
        .map(|(s, n)| (s.to_string(), json!(n)))
        .collect();
    json!({
        "answered": lat.len(),
        "errors": t.errors,
        "last_error": t.last_error,
        "statuses": statuses,
        "wall_s": wall,
        "per_s": lat.len() as f64 / wall,
        "p50_us": percentile(lat, 50.0),
        "p99_us": percentile(lat, 99.0),
        "max_us": lat.last().copied().unwrap_or(0),
        "ids": t.ids,
    })
}

fn main() -> ExitCode {
    let a = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let target = match target(&a.url, a.headers.clone()) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    // One thread: the service under test gets the other core.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match a.mode {
            Mode::Post => post(&a, target).await,
            Mode::Get => get(&a, target).await,
        }
    });
    match result {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        parse_args(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn arguments() {
        let a = args("post http://127.0.0.1:1/x --body {} --n 5 --clients 2 --header a:b --ids")
            .unwrap();
        assert_eq!((a.mode, a.n, a.clients, a.ids), (Mode::Post, 5, 2, true));
        assert_eq!(a.headers, vec![("a".to_owned(), "b".to_owned())]);
        assert!(
            args("post http://127.0.0.1:1/x").is_err(),
            "post without a body"
        );
        assert!(args("get http://127.0.0.1:1/x --clients 0").is_err());
        assert!(args("get http://127.0.0.1:1/x --rate -1").is_err());
        assert!(args("put http://127.0.0.1:1/x").is_err());
        assert!(args("get http://127.0.0.1:1/x --bogus").is_err());
    }

    #[test]
    fn targets() {
        let t = target("http://127.0.0.1:8089/api/v1/jobs?sync=true", vec![]).unwrap();
        assert_eq!(
            (t.addr.as_str(), t.host.as_str()),
            ("127.0.0.1:8089", "127.0.0.1:8089")
        );
        assert_eq!(t.path, "/api/v1/jobs?sync=true");
        assert!(target("https://x/", vec![]).is_err());
    }

    /// Against a tiny HTTP/1.1 server: every request is counted, every answer parsed.
    #[test]
    fn post_and_get_against_a_server() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            tokio::spawn(async move {
                loop {
                    let (mut s, _) = listener.accept().await.unwrap();
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 4096];
                        loop {
                            let Ok(n) = s.read(&mut chunk).await else {
                                return;
                            };
                            if n == 0 {
                                return;
                            }
                            buf.extend_from_slice(&chunk[..n]);
                            // Requests here are small: a header block, then a body of its
                            // Content-Length (2 bytes for the POSTs, none for the GETs).
                            while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                                let body_len = if head.contains("content-length: 2") {
                                    2
                                } else {
                                    0
                                };
                                if buf.len() < end + 4 + body_len {
                                    break;
                                }
                                buf.drain(..end + 4 + body_len);
                                let body = br#"{"job_id":"j1"}"#;
                                let resp = format!(
                                    "HTTP/1.1 202 Accepted\r\ncontent-length: {}\r\n\r\n",
                                    body.len()
                                );
                                s.write_all(resp.as_bytes()).await.unwrap();
                                s.write_all(body).await.unwrap();
                            }
                        }
                    });
                }
            });
            let url = format!("http://127.0.0.1:{port}/api/v1/jobs");
            let a = args(&format!("post {url} --body {{}} --n 50 --clients 4 --ids")).unwrap();
            let v = post(&a, Arc::new(target(&url, vec![]).unwrap()))
                .await
                .unwrap();
            assert_eq!(v["accepted"], 50, "{v}");
            assert_eq!(v["ids"].as_array().unwrap().len(), 50);
            let a = args(&format!("get {url} --rate 200 --seconds 0.25 --clients 2")).unwrap();
            let v = get(&a, Arc::new(target(&url, vec![]).unwrap()))
                .await
                .unwrap();
            assert_eq!(v["statuses"]["202"], 50, "{v}");
            assert_eq!(v["errors"], 0);
            assert!(v.get("ids").is_none());
        });
    }
}
