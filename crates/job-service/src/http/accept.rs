// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The accept loop: hyper's HTTP/1 connections with a header timeout, an idle keep-alive
//! timeout and a cap on open connections below the open-file limit, so that slow or idle
//! clients can neither hold the service nor take the descriptors jobs and the store need.
//!
//! `axum::serve` has none of the three. hyper's own `header_read_timeout` starts whenever a
//! connection waits for a request, so it would also close kept-alive connections after the
//! header timeout; here a kept-alive connection may idle for `--idle-timeout`, and the header
//! timeout runs from the first byte of its next request (from the accept for a new connection).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::CommandError;

/// Descriptors kept out of the connection cap: the store (SQLite and its WAL, or Redis
/// connections), the runtime's own, logs; and per worker a run's pipes, its lock and vars file.
const RESERVED_FDS: u64 = 64;
const FDS_PER_WORKER: u64 = 8;
/// Above this the cap stops growing with the limit: each connection costs memory, and that
/// many clients belong behind a proxy.
const MAX_DERIVED_CONNECTIONS: u64 = 65_536;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_long_polls: usize,
}

/// The soft open-file limit before and after [`raise_fd_limit`].
#[derive(Debug, Clone, Copy)]
pub struct FdLimit {
    /// What the service was started with; its playbooks get this back (`None`: unknown).
    pub original: Option<u64>,
    /// In force now.
    pub now: u64,
}

/// Raises the soft open-file limit to the hard one (a unit file's `LimitNOFILE=` often sets a
/// low soft limit) and returns the limit in force and the one it replaced.
pub fn raise_fd_limit() -> FdLimit {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return FdLimit {
            original: None,
            now: 1024,
        };
    };
    let unchanged = FdLimit {
        original: Some(soft),
        now: soft,
    };
    // An unlimited hard limit cannot be the soft one for files (the kernel's nr_open caps it).
    let want = hard.min(1 << 20);
    if soft >= want {
        return unchanged;
    }
    match setrlimit(Resource::RLIMIT_NOFILE, want, hard) {
        Ok(()) => FdLimit {
            original: Some(soft),
            now: want,
        },
        Err(e) => {
            tracing::warn!(soft, hard, error = %e, "could not raise the open-file limit");
            unchanged
        }
    }
}

/// The connection caps: what the operator gave, checked against the open-file limit, or
/// derived from it.
pub fn limits(
    args: &crate::cli::LimitArgs,
    fd_limit: u64,
    workers: usize,
) -> Result<Limits, CommandError> {
    let reserve = RESERVED_FDS + FDS_PER_WORKER * workers as u64;
    let room = fd_limit.saturating_sub(reserve);
    if room < 16 {
        return Err(CommandError::Usage(format!(
            "the open-file limit is {fd_limit}, too low for {workers} workers: raise it to at least {} (ulimit -n, or LimitNOFILE= in the unit file)",
            reserve + 16
        )));
    }
    let max_connections = match args.max_connections {
        Some(0) => {
            return Err(CommandError::Usage(
                "--max-connections 0: give at least 1".into(),
            ))
        }
        Some(n) if n as u64 > room => {
            return Err(CommandError::Usage(format!(
                "--max-connections {n}: the open-file limit {fd_limit} leaves room for {room} (the rest is for jobs and the store); give at most {room}, or raise the limit"
            )))
        }
        Some(n) => n,
        None => usize::try_from(room.min(MAX_DERIVED_CONNECTIONS)).unwrap_or(usize::MAX),
    };
    let max_long_polls = match args.max_long_polls {
        Some(0) => {
            return Err(CommandError::Usage(
                "--max-long-polls 0: give at least 1".into(),
            ))
        }
        // Held requests beside a full cap would leave no connection for anything else.
        Some(n) if n >= max_connections && max_connections > 1 => {
            return Err(CommandError::Usage(format!(
                "--max-long-polls {n}: must be below --max-connections ({max_connections}), so held requests leave room for the rest"
            )))
        }
        Some(n) => n,
        None => (max_connections / 2).max(1),
    };
    for (flag, d) in [
        ("--header-timeout", args.header_timeout),
        ("--body-timeout", args.body_timeout),
        ("--idle-timeout", args.idle_timeout),
    ] {
        if d.is_zero() {
            return Err(CommandError::Usage(format!("{flag}: must be at least 1s")));
        }
    }
    Ok(Limits {
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
        idle_timeout: args.idle_timeout,
        max_connections,
        max_long_polls,
    })
}

/// Serves until `shutdown`, then stops accepting, lets every connection finish its request
/// (idle ones close at once) and returns when all have ended.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let open = Arc::new(Open::default());
    let stop = CancellationToken::new();
    tokio::pin!(shutdown);
    // Said once a minute at most: under a flood the cap is reached on every accept.
    let mut warned: Option<Instant> = None;
    'accept: loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    accept_error(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // At the cap, the connection just accepted (one descriptor over the cap, within the
        // reserve) waits for a slot, and the rest wait in the listen backlog, where they cost no
        // descriptor. A slot is made by closing the connection idle the longest between two
        // requests: clients that merely keep connections alive must not lock out new ones,
        // while a slow client's slot frees within --header-timeout anyway.
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    warned = Some(Instant::now());
                    tracing::warn!(
                        max = limits.max_connections,
                        "every connection slot is taken (--max-connections): closing idle kept-alive connections first; new connections wait in the backlog"
                    );
                }
                loop {
                    open.evict_oldest_idle();
                    tokio::select! {
                        p = slots.clone().acquire_owned() => match p {
                            Ok(p) => break p,
                            Err(_) => break 'accept,
                        },
                        // A connection went idle, or one asked to close was busy again.
                        () = open.idle.notified() => {}
                        () = &mut shutdown => break 'accept,
                    }
                }
            }
        };
        let clock = open.add();
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            limits,
            tls.clone(),
            stop.clone(),
            Registered {
                open: open.clone(),
                clock,
                _slot: permit,
            },
        ));
    }
    drop(listener);
    stop.cancel();
    // Every connection holds a slot until it ended: all slots back means all ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// The open connections' clocks, so that a full cap can close the one idle the longest.
#[derive(Default)]
struct Open {
    conns: std::sync::Mutex<std::collections::HashMap<u64, Arc<Clock>>>,
    next: AtomicU64,
    epoch: std::sync::OnceLock<Instant>,
    /// A connection went idle between requests (or refused to be closed): an accept waiting
    /// for a slot looks again.
    idle: Arc<Notify>,
}

impl Open {
    fn add(&self) -> Arc<Clock> {
        let epoch = *self.epoch.get_or_init(Instant::now);
        let clock = Arc::new(Clock::new(
            epoch,
            self.next.fetch_add(1, Ordering::Relaxed),
            self.idle.clone(),
        ));
        self.lock().insert(clock.id, clock.clone());
        clock
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u64, Arc<Clock>>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the connection idle the longest to close, unless one asked already has not yet.
    fn evict_oldest_idle(&self) {
        let conns = self.lock();
        if conns.values().any(|c| c.evict.load(Ordering::SeqCst)) {
            return;
        }
        let oldest = conns
            .values()
            .filter(|c| c.idle())
            .min_by_key(|c| c.waiting_since.load(Ordering::SeqCst));
        if let Some(c) = oldest {
            c.evict.store(true, Ordering::SeqCst);
            c.wake.notify_one();
        }
    }
}

/// A connection's slot and its entry in [`Open`], both given back when it ends.
struct Registered {
    open: Arc<Open>,
    clock: Arc<Clock>,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.open.lock().remove(&self.clock.id);
    }
}

/// Dead peers (a client that vanished without a FIN, a NAT that dropped the flow) are found by
/// the kernel within about two minutes rather than never.
fn keepalive(stream: &TcpStream) {
    use nix::sys::socket::{setsockopt, sockopt};
    let set = setsockopt(stream, sockopt::KeepAlive, &true)
        .and_then(|()| setsockopt(stream, sockopt::TcpKeepIdle, &60))
        .and_then(|()| setsockopt(stream, sockopt::TcpKeepInterval, &10))
        .and_then(|()| setsockopt(stream, sockopt::TcpKeepCount, &6));
    if let Err(e) = set {
        tracing::debug!(error = %e, "cannot set TCP keepalive on a connection");
    }
}

async fn accept_error(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    // EMFILE and the like: out of descriptors despite the cap (jobs' pipes, another thread).
    // Retrying at once would spin; the connection stays in the backlog meanwhile.
    tracing::error!(error = %e, "cannot accept a connection; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: CancellationToken,
    registered: Registered,
) {
    let _ = stream.set_nodelay(true);
    keepalive(&stream);
    let Some(acceptor) = tls else {
        return exchange(stream, peer, router, limits, stop, registered).await;
    };
    // The handshake is part of the request's arrival: it must end within --header-timeout of
    // the accept, as the headers must, so a client that stalls it holds its slot no longer.
    let Some((at, _)) = registered.clock.deadline(&limits) else {
        return;
    };
    let handshake = async {
        if super::tls::plain_http(&stream).await {
            super::tls::refuse_plain_http(stream).await;
            return None;
        }
        match acceptor.accept(stream).await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                None
            }
        }
    };
    match tokio::time::timeout_at(at.into(), handshake).await {
        Ok(Some(stream)) => exchange(stream, peer, router, limits, stop, registered).await,
        Ok(None) => {}
        Err(_) => tracing::debug!(%peer, "no TLS handshake within --header-timeout"),
    }
}

/// HTTP/1 on a connection, plain or TLS, until it ends, times out or is asked to close.
async fn exchange<S>(
    stream: S,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    stop: CancellationToken,
    registered: Registered,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let clock = registered.clock.clone();
    let io = TokioIo::new(Watched {
        inner: stream,
        clock: clock.clone(),
    });
    let svc = Tracked {
        router,
        clock: clock.clone(),
    };
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, svc);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        let deadline = clock.deadline(&limits);
        let expiry = async {
            match deadline {
                Some((at, _)) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            () = expiry => {
                if let Some((at, why)) = clock.deadline(&limits) {
                    if Instant::now() >= at {
                        tracing::debug!(%peer, "closing the connection: {why}");
                        return;
                    }
                }
            }
            () = clock.wake.notified() => {
                if clock.evict.load(Ordering::SeqCst) && !stopping {
                    if clock.idle() {
                        tracing::debug!(%peer, "closing an idle kept-alive connection: every slot is taken");
                        stopping = true;
                        // Graceful: an answer still being written goes out whole first.
                        conn.as_mut().graceful_shutdown();
                    } else {
                        clock.evict.store(false, Ordering::SeqCst);
                        clock.idle_notify.notify_one();
                    }
                }
            }
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// What a connection's timeouts are measured from. Times are milliseconds since `epoch`, which
/// all connections share, so that their idle times compare.
struct Clock {
    id: u64,
    epoch: Instant,
    /// When the connection began to wait for a request: the accept, or its last answer's end.
    waiting_since: AtomicU64,
    /// The first byte read while waiting; `NONE` before it.
    first_byte: AtomicU64,
    /// Requests read and not yet answered in full (the answer's body included).
    in_flight: AtomicUsize,
    /// It has answered a request, so it is a kept-alive connection now.
    kept_alive: AtomicBool,
    /// The deadline may have moved: a request ended, or a first byte arrived; or it is asked
    /// to close (`evict`).
    wake: Notify,
    /// Every slot is taken and this connection idles the longest: close it if still idle.
    evict: AtomicBool,
    /// [`Open::idle`]: told when this connection goes idle.
    idle_notify: Arc<Notify>,
}

const NONE: u64 = u64::MAX;

impl Clock {
    fn new(epoch: Instant, id: u64, idle_notify: Arc<Notify>) -> Self {
        let since = u64::try_from(epoch.elapsed().as_millis()).unwrap_or(NONE - 1);
        Self {
            id,
            epoch,
            waiting_since: AtomicU64::new(since),
            first_byte: AtomicU64::new(NONE),
            in_flight: AtomicUsize::new(0),
            kept_alive: AtomicBool::new(false),
            wake: Notify::new(),
            evict: AtomicBool::new(false),
            idle_notify,
        }
    }

    /// Between two requests of a kept-alive connection, no byte of the next one read yet.
    fn idle(&self) -> bool {
        self.kept_alive.load(Ordering::SeqCst)
            && self.in_flight.load(Ordering::SeqCst) == 0
            && self.first_byte.load(Ordering::SeqCst) == NONE
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn at(&self, ms: u64, plus: Duration) -> Instant {
        self.epoch + Duration::from_millis(ms) + plus
    }

    /// When the connection is to be closed, and why; none while a request is in flight (a
    /// held request has its own bounds: --sync-max, the job's end).
    fn deadline(&self, limits: &Limits) -> Option<(Instant, &'static str)> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let since = self.waiting_since.load(Ordering::SeqCst);
        if !self.kept_alive.load(Ordering::SeqCst) {
            return Some((
                self.at(since, limits.header_timeout),
                "no request headers within --header-timeout of the connection",
            ));
        }
        match self.first_byte.load(Ordering::SeqCst) {
            NONE => Some((
                self.at(since, limits.idle_timeout),
                "idle for --idle-timeout",
            )),
            first => Some((
                self.at(first, limits.header_timeout),
                "request headers not complete within --header-timeout",
            )),
        }
    }

    fn read(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0
            && self.first_byte.load(Ordering::SeqCst) == NONE
        {
            self.first_byte.store(self.now(), Ordering::SeqCst);
            self.wake.notify_one();
        }
    }
}

/// Counts a request in flight from its headers to the end of its answer's body.
struct InFlight(Arc<Clock>);

impl InFlight {
    fn new(clock: Arc<Clock>) -> Self {
        clock.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(clock)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let c = &self.0;
        c.first_byte.store(NONE, Ordering::SeqCst);
        c.waiting_since.store(c.now(), Ordering::SeqCst);
        c.kept_alive.store(true, Ordering::SeqCst);
        c.in_flight.fetch_sub(1, Ordering::SeqCst);
        c.wake.notify_one();
        c.idle_notify.notify_one();
    }
}

/// The socket (or its TLS session), noting the first byte of each request.
struct Watched<S> {
    inner: S,
    clock: Arc<Clock>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.clock.read();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The router, with each request counted in flight until its answer's body is done.
#[derive(Clone)]
struct Tracked {
    router: Router,
    clock: Arc<Clock>,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Guarded>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Tracked {
    type Response = Response<Guarded>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let guard = InFlight::new(self.clock.clone());
        let mut router = self.router.clone();
        Box::pin(async move {
            std::future::poll_fn(|cx| {
                tower_service::Service::<Request<Incoming>>::poll_ready(&mut router, cx)
            })
            .await?;
            let resp = tower_service::Service::call(&mut router, req).await?;
            Ok(resp.map(|inner| Guarded {
                inner,
                _guard: guard,
            }))
        })
    }
}

struct Guarded {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::LimitArgs;

    fn args(max_connections: Option<usize>, max_long_polls: Option<usize>) -> LimitArgs {
        LimitArgs {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections,
            max_long_polls,
        }
    }

    #[test]
    fn caps_stay_below_the_open_file_limit() {
        let l = limits(&args(None, None), 256, 4).unwrap();
        assert_eq!(l.max_connections, 256 - 64 - 32);
        assert_eq!(l.max_long_polls, l.max_connections / 2);
        assert_eq!(
            limits(&args(None, None), 1 << 20, 4)
                .unwrap()
                .max_connections,
            65_536
        );
        assert!(limits(&args(Some(200), None), 256, 4).is_err());
        assert!(limits(&args(Some(100), Some(100)), 256, 4).is_err());
        assert!(limits(&args(Some(0), None), 256, 4).is_err());
        assert!(limits(&args(None, None), 80, 4).is_err());
        let l = limits(&args(Some(100), Some(10)), 256, 4).unwrap();
        assert_eq!((l.max_connections, l.max_long_polls), (100, 10));
    }
}
