//! A real HTTPS server on loopback for the release installer tests: it
//! plays the GitHub API and the asset host, with scripted faults. A CA and
//! a server certificate (SANs `127.0.0.1` and `localhost`) are made at test
//! time with rcgen; the CA is written to a PEM file the client trusts via
//! `--ca-bundle`. `127.0.0.1` and `localhost` reach the same socket but are
//! two hosts to the client, which is how token scoping on redirects is
//! tested. One thread per connection, `Connection: close`, no async.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body.
    Ok(Vec<u8>),
    /// This status with a short text body.
    Status(u16),
    /// 429 with `Retry-After: secs`.
    TooMany { retry_after: u64 },
    /// 302 to this absolute URL.
    Redirect(String),
    /// 200 announcing the full length but sending only `sent` bytes.
    Truncated { body: Vec<u8>, sent: usize },
    /// Read the request, say nothing for this long, then hang up.
    Hang(Duration),
    /// 200 announcing `len` bytes, then one byte every `every` until the
    /// client hangs up (or `len` bytes went out).
    Trickle { len: usize, every: Duration },
    /// 200 without a Content-Length: zeros until the client hangs up (at
    /// most `max` bytes, so a client that never stops cannot hang a test).
    Endless { max: usize },
}

/// A request the server saw.
#[derive(Debug, Clone)]
pub struct Logged {
    pub host: String,
    pub path: String,
    pub authorization: Option<String>,
    pub accept: Option<String>,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Vec<Reply>>,
    log: Vec<Logged>,
    /// TCP connections accepted, whether or not TLS then succeeded.
    connections: usize,
}

pub struct TestServer {
    pub port: u16,
    /// PEM of the CA that signed the server certificate.
    pub ca_file: PathBuf,
    state: Arc<Mutex<State>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("server temp dir");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "hephaestus test CA");
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("leaf params");
        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("leaf cert");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).expect("write ca");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("tls versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .expect("server config");
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if let Ok(mut state) = shared.lock() {
                    state.connections += 1;
                }
                let config = config.clone();
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, config, state);
                });
            }
        });
        Self {
            port,
            ca_file,
            state,
            _dir: dir,
        }
    }

    /// The API base: `https://127.0.0.1:PORT`.
    pub fn api_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// A URL on the "other" host: `https://localhost:PORT{path}`.
    pub fn other_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    /// Script the answers for `path`: one per request, the last repeats.
    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .expect("state")
            .routes
            .insert(path.to_string(), replies);
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.state.lock().expect("state").log.clone()
    }

    /// How many requests asked for `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }

    /// TCP connections accepted so far (a failed TLS handshake included).
    pub fn connections(&self) -> usize {
        self.state.lock().expect("state").connections
    }
}

fn serve(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    state: Arc<Mutex<State>>,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tls.read(&mut byte)? == 0 || head.len() > 65536 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line
        .split(' ')
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_string();
    let mut headers = HashMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let reply = {
        let mut state = state.lock().expect("state");
        state.log.push(Logged {
            host: headers.get("host").cloned().unwrap_or_default(),
            path: path.clone(),
            authorization: headers.get("authorization").cloned(),
            accept: headers.get("accept").cloned(),
        });
        match state.routes.get_mut(&path) {
            Some(queue) if queue.len() > 1 => Some(queue.remove(0)),
            Some(queue) => queue.first().cloned(),
            None => None,
        }
    };
    let reply = reply.unwrap_or(Reply::Status(404));
    let respond = |tls: &mut rustls::StreamOwned<rustls::ServerConnection, TcpStream>,
                   status: &str,
                   extra: &str,
                   body: &[u8],
                   announce: usize|
     -> std::io::Result<()> {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {announce}\r\nConnection: close\r\n{extra}\r\n"
        );
        tls.write_all(head.as_bytes())?;
        tls.write_all(body)?;
        tls.flush()
    };
    match reply {
        Reply::Ok(body) => {
            respond(&mut tls, "200 OK", "", &body, body.len())?;
            tls.conn.send_close_notify();
            tls.flush()?;
        }
        Reply::Status(code) => {
            let body = format!("status {code}\n");
            respond(
                &mut tls,
                &format!("{code} Scripted"),
                "",
                body.as_bytes(),
                body.len(),
            )?;
            tls.conn.send_close_notify();
            tls.flush()?;
        }
        Reply::TooMany { retry_after } => {
            respond(
                &mut tls,
                "429 Too Many Requests",
                &format!("Retry-After: {retry_after}\r\n"),
                b"",
                0,
            )?;
            tls.conn.send_close_notify();
            tls.flush()?;
        }
        Reply::Redirect(location) => {
            respond(
                &mut tls,
                "302 Found",
                &format!("Location: {location}\r\n"),
                b"",
                0,
            )?;
            tls.conn.send_close_notify();
            tls.flush()?;
        }
        Reply::Truncated { body, sent } => {
            respond(&mut tls, "200 OK", "", &body[..sent], body.len())?;
            // Hang up without close_notify, mid-body.
            let _ = tls.sock.shutdown(std::net::Shutdown::Both);
        }
        Reply::Hang(duration) => {
            std::thread::sleep(duration);
            let _ = tls.sock.shutdown(std::net::Shutdown::Both);
        }
        Reply::Trickle { len, every } => {
            respond(&mut tls, "200 OK", "", b"", len)?;
            for _ in 0..len {
                std::thread::sleep(every);
                tls.write_all(b"x")?;
                tls.flush()?;
            }
        }
        Reply::Endless { max } => {
            tls.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")?;
            let chunk = vec![0u8; 64 * 1024];
            let mut sent = 0;
            while sent < max {
                tls.write_all(&chunk)?;
                sent += chunk.len();
            }
            tls.flush()?;
        }
    }
    Ok(())
}
