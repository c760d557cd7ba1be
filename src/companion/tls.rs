//! TLS for the local network. On the first LAN start a self-signed certificate is made (rcgen) for
//! this machine's names and addresses and kept in `<data dir>/companion/` (owner-only), so its
//! fingerprint, which the phone's user checks against the desktop's, stays the same from one start
//! to the next. Connections are accepted by [`TlsListener`], which shakes hands off the accept loop
//! so a slow or silent client holds up no one.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::server::TlsStream;

use super::{CompanionError, sha256};

const CERT_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";
/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's certificate and key.
pub struct Identity {
    pub cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// SHA-256 of the certificate, as the desktop and the CLI show it.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.cert)
    }

    pub fn acceptor(&self) -> Result<TlsAcceptor, String> {
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(vec![self.cert.clone()], self.key.clone_key()))
            .map_err(|e| e.to_string())?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// SHA-256 of a certificate's DER as colon-separated upper-case hex (`AB:CD:…`).
pub fn fingerprint(cert_der: &[u8]) -> String {
    sha256(cert_der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// The certificate kept in `data_dir`, made the first time.
pub fn identity(data_dir: &Path) -> Result<Identity, CompanionError> {
    let dir = data_dir.join("companion");
    let problem = |why: String| CompanionError::Certificate { path: dir.display().to_string(), why };
    let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    if cert_path.exists() && key_path.exists() {
        let cert = CertificateDer::from_pem_file(&cert_path).map_err(|e| problem(format!("{CERT_FILE}: {e}")))?;
        let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| problem(format!("{KEY_FILE}: {e}")))?;
        return Ok(Identity { cert, key });
    }
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(rcgen::DnType::CommonName, "Aura Companion");
    params.subject_alt_names = names()
        .into_iter()
        .filter_map(|name| match name.parse::<IpAddr>() {
            Ok(ip) => Some(rcgen::SanType::IpAddress(ip)),
            Err(_) => name.try_into().ok().map(rcgen::SanType::DnsName),
        })
        .collect();
    let key = rcgen::KeyPair::generate().map_err(|e| problem(e.to_string()))?;
    let cert = params.self_signed(&key).map_err(|e| problem(e.to_string()))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| problem(e.to_string()))?;
    let key_der = key.serialize_der();
    write_private(&key_path, &pem("PRIVATE KEY", &key_der)).map_err(|e| problem(format!("{KEY_FILE}: {e}")))?;
    write_private(&cert_path, &pem("CERTIFICATE", cert.der())).map_err(|e| problem(format!("{CERT_FILE}: {e}")))?;
    Ok(Identity { cert: cert.der().clone(), key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)) })
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).filter_map(|c| std::str::from_utf8(c).ok()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// Writes a file readable by the owner only, whole or not at all.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&partial)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}

/// The names a phone may reach this machine by: its host name, every non-loopback address, and
/// the loopback ones.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = host_name().into_iter().collect();
    names.extend(lan_addresses().iter().map(IpAddr::to_string));
    names.extend(["localhost".to_string(), "127.0.0.1".to_string()]);
    names
}

fn host_name() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    if unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) } != 0 {
        return None;
    }
    let end = buffer.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&buffer[..end]).ok().filter(|n| !n.is_empty()).map(str::to_string)
}

/// This machine's addresses on its networks (not loopback, not IPv6 link-local, which needs a
/// scope a URL cannot carry), IPv4 first.
pub fn lan_addresses() -> Vec<IpAddr> {
    let mut addresses = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list we only read and then free once.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return addresses;
    }
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: `cursor` points into the list getifaddrs made; each `ifa_addr` is null or points
        // to a sockaddr of the family it names.
        let entry = unsafe { &*cursor };
        if !entry.ifa_addr.is_null() {
            let address = match i32::from(unsafe { (*entry.ifa_addr).sa_family }) {
                libc::AF_INET => {
                    let v4 = unsafe { &*entry.ifa_addr.cast::<libc::sockaddr_in>() };
                    Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr))))
                }
                libc::AF_INET6 => {
                    let v6 = unsafe { &*entry.ifa_addr.cast::<libc::sockaddr_in6>() };
                    Some(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr)))
                }
                _ => None,
            };
            if let Some(address) = address.filter(|a| !a.is_loopback() && !is_link_local(a))
                && !addresses.contains(&address)
            {
                addresses.push(address);
            }
        }
        cursor = entry.ifa_next;
    }
    // SAFETY: `list` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    addresses.sort_by_key(IpAddr::is_ipv6);
    addresses
}

fn is_link_local(address: &IpAddr) -> bool {
    matches!(address, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80)
}

/// Accepts TCP connections and hands each one, after its TLS handshake, to the HTTP server.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (done, ready) = mpsc::channel(64);
        let accepting = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!("the Companion could not accept a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let (acceptor, done) = (acceptor.clone(), done.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = done.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!("a TLS handshake from {peer} failed: {e}"),
                        Err(_) => tracing::debug!("a TLS handshake from {peer} took too long"),
                    }
                });
            }
        });
        Ok(TlsListener { ready, local, accepting })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
