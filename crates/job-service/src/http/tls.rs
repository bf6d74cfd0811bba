// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! HTTPS in the service itself (`--tls-cert`, `--tls-key`): rustls with the ring provider.
//!
//! The certificate and key sit behind a resolver that SIGHUP swaps, so a renewed certificate
//! (certbot, cert-manager) takes effect without dropping a connection or a held request; a new
//! pair that does not load is logged and the old one kept. The handshake itself runs in the
//! accept loop (accept.rs), inside the connection's header timeout and slot.

use std::fmt;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

/// Why a certificate and key could not be used; the message names the flag and the fix.
#[derive(Debug)]
pub struct TlsError(String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// The loaded pair and where it came from, to load it again on SIGHUP.
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: Arc<Current>,
    acceptor: TlsAcceptor,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The pair in force; every handshake reads it.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

impl Tls {
    /// Loads and checks the pair: both readable, the key this user's alone, the key the
    /// certificate's. Nothing starts otherwise.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let pair = load_pair(cert, key, &provider)?;
        let current = Arc::new(Current(RwLock::new(Arc::new(pair))));
        let mut config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(format!("--tls-cert: {e}")))?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        // The service speaks HTTP/1.1 only (accept.rs); saying so lets clients skip h2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            provider,
            current,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }

    /// Loads the files again; on any failure the pair in force stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let pair = load_pair(&self.cert, &self.key, &self.provider)?;
        *self.current.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(pair);
        Ok(())
    }

    /// Reloads on every SIGHUP until the process ends.
    pub fn reload_on_sighup(self: Arc<Self>) -> Result<(), TlsError> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = signal(SignalKind::hangup())
            .map_err(|e| TlsError(format!("cannot watch SIGHUP for --tls-cert reloads: {e}")))?;
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                match self.reload() {
                    Ok(()) => tracing::info!(
                        cert = %self.cert.display(),
                        "SIGHUP: TLS certificate and key reloaded"
                    ),
                    Err(e) => {
                        tracing::error!("SIGHUP: {e}; still serving the previous certificate")
                    }
                }
            }
        });
        Ok(())
    }
}

fn load_pair(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let bad_cert = |why: String| TlsError(format!("--tls-cert {}: {why}", cert.display()));
    let bad_key = |why: String| TlsError(format!("--tls-key {}: {why}", key.display()));
    // Symlinks followed: certificates are often links into a renewal tool's directory.
    let cert_pem = read(cert, false).map_err(|e| bad_cert(e.to_string()))?;
    let key_file =
        crate::auth::token::open_regular(key, false).map_err(|e| bad_key(e.to_string()))?;
    let mode = key_file
        .metadata()
        .map_err(|e| bad_key(e.to_string()))?
        .mode();
    if mode & 0o077 != 0 {
        return Err(bad_key(format!(
            "group or others may read or write it (mode {:o}), and it is the service's identity: chmod 600 it",
            mode & 0o777
        )));
    }
    let key_pem = read_all(key_file).map_err(|e| bad_key(e.to_string()))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| bad_cert(format!("not PEM certificates: {e}")))?;
    if chain.is_empty() {
        return Err(bad_cert(
            "no certificate in it: give the PEM chain, the server's certificate first".into(),
        ));
    }
    let der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| bad_key(format!("no PEM private key (PKCS#8, PKCS#1 or SEC1): {e}")))?;
    CertifiedKey::from_der(chain, der, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError(format!(
            "--tls-key {} is not the key of --tls-cert {}: give the key the certificate was issued for",
            key.display(),
            cert.display()
        )),
        e => bad_key(format!("cannot use it: {e}")),
    })
}

fn read(path: &Path, nofollow: bool) -> std::io::Result<Vec<u8>> {
    read_all(crate::auth::token::open_regular(path, nofollow)?)
}

fn read_all(f: std::fs::File) -> std::io::Result<Vec<u8>> {
    // Far above any chain: a file this big is a mistake, not a certificate.
    let mut out = Vec::new();
    f.take(1 << 20).read_to_end(&mut out)?;
    Ok(out)
}

/// The client sent plain HTTP to the TLS port: its first byte is a method's letter, where a TLS
/// client sends a handshake record (0x16).
pub(crate) async fn plain_http(stream: &tokio::net::TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1) if first[0].is_ascii_alphabetic())
}

/// Answers a plain-HTTP request with a 400 that says what to do, instead of a reset that
/// leaves `curl http://` with "empty reply".
pub(crate) async fn refuse_plain_http(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const BODY: &str = "{\"detail\":\"this port speaks HTTPS: use https://\"}";
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    if stream.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    // Closing with the request unread would reset the connection, and the client could lose
    // the answer: read what it sent, a little and briefly (the caller's timeout bounds it too).
    let mut sink = [0u8; 4096];
    let drain = async {
        let mut left = 64 * 1024usize;
        while let Ok(n @ 1..) = stream.read(&mut sink).await {
            left = left.saturating_sub(n);
            if left == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), drain).await;
}
