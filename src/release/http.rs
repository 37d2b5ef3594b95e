//! HTTPS for the installer, on ureq with the TLS connector of
//! [`super::tls`] (rustls on ring, Mozilla's webpki roots plus any extra
//! CAs from `--ca-bundle` or `SSL_CERT_FILE`).
//!
//! Rules enforced for every request, in one place:
//! - HTTPS only: a plain `http://` URL is refused, and so is a redirect to
//!   one. Redirects are followed here (ureq's are off), at most
//!   [`MAX_REDIRECTS`] hops.
//! - The token is sent only to the API host (same host and port as the
//!   API URL), never to a redirect target elsewhere, and never printed:
//!   [`Token`]'s `Debug` is redacted, and every URL in a message goes
//!   through [`redact`] (no credentials, no query string, hostile
//!   characters escaped), redirect targets included.
//! - Time: `--timeout` bounds connecting, the response headers and each
//!   read and write, and a body must keep arriving at [`MIN_RATE`] or more
//!   over every `--timeout` window (a server trickling a byte every few
//!   seconds is cut off like a stalled one). `--deadline` bounds the whole
//!   client, every request, retry and wait included.
//! - Size: every body has a byte limit; more is refused mid-stream.
//! - Retries with exponential backoff and jitter on connection errors,
//!   timeouts, 5xx, 429 (honouring `Retry-After`) and bodies cut short or
//!   too slow; never on a TLS error (an untrusted certificate stays
//!   untrusted), a 4xx, or a body over its limit.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use ureq::http::Uri;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, TcpConnector};

use super::tls::{TlsConnector, client_config};
use super::url::{Origin, origin, parse_https, redact, resolve_location};
use super::{ReleaseError, Result};

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 10;
/// JSON bodies larger than this are refused.
const MAX_JSON_BYTES: u64 = 16 * 1024 * 1024;
/// First backoff delay; doubled per retry, with ±50 % jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// No backoff delay is longer than this.
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// A `Retry-After` longer than this is not waited for.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(300);
/// The slowest body accepted, in bytes per second, averaged over each
/// `--timeout` window.
pub const MIN_RATE: u64 = 1024;

/// A GitHub token. Never printed: `Debug` shows `***`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(value: String) -> Option<Self> {
        let value = value.trim().to_string();
        (!value.is_empty()).then_some(Self(value))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// How the client behaves; resolved once by the command.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Connect, headers, per-read and per-write timeout; also the window
    /// over which a body must average [`MIN_RATE`].
    pub timeout: Duration,
    /// Everything this client does (requests, retries, waits) ends by
    /// this long after it was made.
    pub deadline: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Extra PEM files of trusted CAs.
    pub ca_bundles: Vec<PathBuf>,
    pub token: Option<Token>,
    /// The API base URL; its host (and port) is the only one that gets the
    /// token.
    pub api_url: String,
}

/// One fetched body: where it went, its SHA-256, its size.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub sha256: String,
    pub bytes: u64,
}

/// Something that wants to show download progress.
pub trait Progress {
    fn start(&self, total: Option<u64>);
    fn advance(&self, bytes: u64);
    fn finish(&self);
}

/// No progress display.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// Where the pipeline reports: status lines, retries (warnings), and `-v`
/// detail.
pub trait Notify {
    fn status(&self, message: &str);
    fn retrying(&self, message: &str);
    fn detail(&self, message: &str);
}

/// The HTTPS client.
pub struct Client {
    agent: ureq::Agent,
    settings: HttpSettings,
    api: Origin,
    /// When the overall deadline passes.
    deadline_at: Instant,
}

/// Why an attempt failed, and whether trying again could help.
enum Failure {
    Retry {
        message: String,
        after: Option<Duration>,
    },
    Fatal(ReleaseError),
}

impl Client {
    pub fn new(settings: HttpSettings) -> Result<Self> {
        let api_uri = parse_https(&settings.api_url).map_err(|e| match e {
            ReleaseError::Network { message, .. } => ReleaseError::usage(
                format!("--api-url {}: {message}", redact(&settings.api_url)),
                Some("use an https:// URL, e.g. https://api.github.com"),
            ),
            other => other,
        })?;
        let api = origin(&api_uri)?;
        let tls = Arc::new(client_config(&settings.ca_bundles)?);
        let config = ureq::Agent::config_builder()
            .https_only(true)
            .max_redirects(0)
            .http_status_as_error(false)
            .accept_encoding(ureq::config::AutoHeaderValue::None)
            .user_agent(concat!("hephaestus/", env!("CARGO_PKG_VERSION")))
            .timeout_resolve(Some(settings.timeout))
            .timeout_connect(Some(settings.timeout))
            .timeout_send_request(Some(settings.timeout))
            .timeout_recv_response(Some(settings.timeout))
            .timeout_per_read(Some(settings.timeout))
            .timeout_per_write(Some(settings.timeout))
            .build();
        let connector =
            ().chain(ConnectProxyConnector::default())
                .chain(TcpConnector::default())
                .chain(TlsConnector { config: tls });
        let agent = ureq::Agent::with_parts(config, connector, DefaultResolver::default());
        Ok(Self {
            agent,
            deadline_at: Instant::now() + settings.deadline,
            settings,
            api,
        })
    }

    /// The API base URL without a trailing slash.
    pub fn api_base(&self) -> &str {
        self.settings.api_url.trim_end_matches('/')
    }

    /// GET a JSON document (API calls).
    pub fn get_json(&self, url: &str, notify: &dyn Notify) -> Result<serde_json::Value> {
        let body = self.get_bytes(url, "application/vnd.github+json", notify)?;
        serde_json::from_slice(&body).map_err(|e| ReleaseError::Network {
            url: redact(url),
            message: format!("the response is not valid JSON: {e}"),
        })
    }

    /// GET a small body into memory (manifests, bundles).
    pub fn get_bytes(&self, url: &str, accept: &str, notify: &dyn Notify) -> Result<Vec<u8>> {
        let mut sink = Vec::new();
        self.fetch(url, accept, &mut MemorySink(&mut sink), &NoProgress, notify)?;
        Ok(sink)
    }

    /// GET `url` into `file` (truncated first, and again before each
    /// retry), hashing as it goes. `max_bytes` bounds the body: a server
    /// cannot fill the disk by sending more.
    pub fn download(
        &self,
        url: &str,
        accept: &str,
        file: &mut std::fs::File,
        max_bytes: u64,
        progress: &dyn Progress,
        notify: &dyn Notify,
    ) -> Result<Downloaded> {
        self.fetch(
            url,
            accept,
            &mut FileSink(file, max_bytes),
            progress,
            notify,
        )
    }

    fn fetch(
        &self,
        url: &str,
        accept: &str,
        sink: &mut dyn Sink,
        progress: &dyn Progress,
        notify: &dyn Notify,
    ) -> Result<Downloaded> {
        let attempts = self.settings.max_retries.saturating_add(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if Instant::now() >= self.deadline_at {
                return Err(self.deadline_passed(url, attempt - 1));
            }
            sink.reset()
                .map_err(|e| ReleaseError::io("download temp file", e))?;
            match self.attempt(url, accept, sink, progress, notify, attempt) {
                Ok(done) => return Ok(done),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry { message, after }) => {
                    if attempt >= attempts {
                        return Err(ReleaseError::Network {
                            url: redact(url),
                            message: format!("{message} (gave up after {attempt} attempts)"),
                        });
                    }
                    let delay = match after {
                        Some(d) if d > RETRY_AFTER_CAP => {
                            return Err(ReleaseError::Network {
                                url: redact(url),
                                message: format!(
                                    "{message}; the server asks to wait {}s, longer than {}s",
                                    d.as_secs(),
                                    RETRY_AFTER_CAP.as_secs()
                                ),
                            });
                        }
                        Some(d) => d,
                        None => backoff(attempt),
                    };
                    if Instant::now() + delay >= self.deadline_at {
                        return Err(ReleaseError::Network {
                            url: redact(url),
                            message: format!(
                                "{message}; no time left to retry within --deadline {}",
                                seconds(self.settings.deadline)
                            ),
                        });
                    }
                    notify.retrying(&format!(
                        "{}: {message}; retrying in {:.1}s (attempt {}/{attempts})",
                        redact(url),
                        delay.as_secs_f64(),
                        attempt + 1
                    ));
                    std::thread::sleep(delay);
                }
            }
        }
    }

    fn deadline_passed(&self, url: &str, attempts: u32) -> ReleaseError {
        ReleaseError::Network {
            url: redact(url),
            message: format!(
                "gave up: the --deadline of {} passed ({attempts} {} made)",
                seconds(self.settings.deadline),
                if attempts == 1 { "attempt" } else { "attempts" }
            ),
        }
    }

    /// Time left before the overall deadline (at least a millisecond, so
    /// ureq has a timeout to apply).
    fn remaining(&self) -> Duration {
        self.deadline_at
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    }

    /// Attempt number `attempt`: follow redirects by hand, then stream
    /// the body.
    fn attempt(
        &self,
        url: &str,
        accept: &str,
        sink: &mut dyn Sink,
        progress: &dyn Progress,
        notify: &dyn Notify,
        attempt: u32,
    ) -> std::result::Result<Downloaded, Failure> {
        let mut current = parse_https(url).map_err(Failure::Fatal)?;
        let mut hops = 0;
        let response = loop {
            let target = origin(&current).map_err(Failure::Fatal)?;
            let mut request = self
                .agent
                .get(current.clone())
                .config()
                .timeout_global(Some(self.remaining()))
                .build()
                .header("Accept", accept)
                .header("X-GitHub-Api-Version", "2022-11-28");
            let with_token = target == self.api && self.settings.token.is_some();
            if let (true, Some(token)) = (with_token, &self.settings.token) {
                let mut value = ureq::http::HeaderValue::from_str(&format!("Bearer {}", token.0))
                    .map_err(|_| {
                    Failure::Fatal(ReleaseError::usage(
                        "the GitHub token contains characters not allowed in a header",
                        None,
                    ))
                })?;
                value.set_sensitive(true);
                request = request.header("Authorization", value);
            }
            notify.detail(&format!(
                "GET {}{}",
                redact(&current.to_string()),
                if with_token { " (with token)" } else { "" }
            ));
            let response = request
                .call()
                .map_err(|e| self.classify_error(&current, e, attempt))?;
            let status = response.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                hops += 1;
                if hops > MAX_REDIRECTS {
                    return Err(Failure::Fatal(ReleaseError::Network {
                        url: redact(url),
                        message: format!("more than {MAX_REDIRECTS} redirects"),
                    }));
                }
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        Failure::Fatal(ReleaseError::Network {
                            url: redact(&current.to_string()),
                            message: format!("HTTP {status} redirect without a Location"),
                        })
                    })?;
                let next = resolve_location(&current, location).map_err(Failure::Fatal)?;
                notify.detail(&format!(
                    "redirect {status} to {}",
                    redact(&next.to_string())
                ));
                current = next;
                continue;
            }
            if (200..300).contains(&status) {
                break response;
            }
            return Err(status_failure(&current, &response));
        };
        let headers = response.headers().clone();
        let encoded = headers.contains_key("content-encoding");
        let expected = headers
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(len) = expected
            && len > sink.limit()
        {
            return Err(Failure::Fatal(ReleaseError::TooLarge {
                url: redact(&current.to_string()),
                size: Some(len),
                limit: sink.limit(),
            }));
        }
        progress.start(expected);
        let mut reader = response.into_body().into_reader();
        let mut hasher = Sha256::new();
        let mut total: u64 = 0;
        let mut buf = vec![0u8; 64 * 1024];
        let window = self.settings.timeout;
        let mut window_start = Instant::now();
        let mut window_bytes: u64 = 0;
        let read_result: std::result::Result<(), Failure> = loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) if Instant::now() >= self.deadline_at => {
                    break Err(Failure::Fatal(self.deadline_passed(url, attempt)));
                }
                Err(e) => {
                    break Err(Failure::Retry {
                        message: format!("the body was cut short after {total} bytes: {e}"),
                        after: None,
                    });
                }
            };
            total += n as u64;
            if total > sink.limit() {
                break Err(Failure::Fatal(ReleaseError::TooLarge {
                    url: redact(&current.to_string()),
                    size: None,
                    limit: sink.limit(),
                }));
            }
            hasher.update(&buf[..n]);
            if let Err(e) = sink.write(&buf[..n]) {
                break Err(Failure::Fatal(ReleaseError::io("download temp file", e)));
            }
            progress.advance(n as u64);
            window_bytes += n as u64;
            let elapsed = window_start.elapsed();
            if elapsed >= window {
                let needed = (MIN_RATE as f64 * window.as_secs_f64()) as u64;
                if window_bytes < needed {
                    break Err(Failure::Retry {
                        message: format!(
                            "the body is too slow: {window_bytes} bytes in {:.1}s, less than {MIN_RATE} bytes/s",
                            elapsed.as_secs_f64()
                        ),
                        after: None,
                    });
                }
                window_start = Instant::now();
                window_bytes = 0;
            }
            if Instant::now() >= self.deadline_at {
                break Err(Failure::Fatal(self.deadline_passed(url, attempt)));
            }
        };
        progress.finish();
        read_result?;
        if let Some(len) = expected
            && !encoded
            && len != total
        {
            return Err(Failure::Retry {
                message: format!("the body was cut short: got {total} of {len} bytes"),
                after: None,
            });
        }
        sink.finish()
            .map_err(|e| Failure::Fatal(ReleaseError::io("download temp file", e)))?;
        Ok(Downloaded {
            sha256: hex::encode(hasher.finalize()),
            bytes: total,
        })
    }
}

fn status_failure(url: &Uri, response: &ureq::http::Response<ureq::Body>) -> Failure {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    if status == 429 || (500..600).contains(&status) {
        return Failure::Retry {
            message: format!("HTTP {status}"),
            after: retry_after,
        };
    }
    let rate_limited = status == 403
        && response
            .headers()
            .get("x-ratelimit-remaining")
            .is_some_and(|v| v.as_bytes() == b"0");
    let detail = match status {
        401 => Some("the token was rejected".to_string()),
        403 if rate_limited => {
            Some("API rate limit exceeded; set GITHUB_TOKEN to raise it".to_string())
        }
        404 => Some(
            "not found; check --repository and --tag (private repositories need a token)"
                .to_string(),
        ),
        _ => None,
    };
    Failure::Fatal(ReleaseError::Status {
        url: redact(&url.to_string()),
        status,
        detail,
    })
}

impl Client {
    fn classify_error(&self, url: &Uri, error: ureq::Error, attempt: u32) -> Failure {
        if matches!(error, ureq::Error::Timeout(ureq::Timeout::Global))
            || Instant::now() >= self.deadline_at
        {
            return Failure::Fatal(self.deadline_passed(&url.to_string(), attempt));
        }
        classify_transport_error(url, error)
    }
}

/// Retry or not, for a ureq error before the deadline.
fn classify_transport_error(url: &Uri, error: ureq::Error) -> Failure {
    // ureq's messages may quote the URL; never show its secrets.
    let shown = url.to_string();
    let message = error.to_string().replace(&shown, &redact(&shown));
    match error {
        ureq::Error::Rustls(tls) => Failure::Fatal(ReleaseError::Tls {
            url: redact(&shown),
            message: tls.to_string(),
        }),
        ureq::Error::Io(_)
        | ureq::Error::Timeout(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Protocol(_)
        | ureq::Error::BodyStalled => Failure::Retry {
            message,
            after: None,
        },
        ureq::Error::RequireHttpsOnly(_) => Failure::Fatal(ReleaseError::Network {
            url: redact(&url.to_string()),
            message: "refusing plain http://; only https:// is allowed".to_string(),
        }),
        _ => Failure::Fatal(ReleaseError::Network {
            url: redact(&url.to_string()),
            message,
        }),
    }
}

/// `Retry-After` as delay-seconds (the HTTP-date form is treated as absent,
/// so the normal backoff applies).
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Exponential backoff with ±50 % jitter for retry number `attempt` (1-based).
fn backoff(attempt: u32) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(BACKOFF_CAP);
    capped.mul_f64(0.5 + fastrand::f64())
}

/// `30s`, `2.5s`, `10m` for messages.
pub fn seconds(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 60.0 && secs % 60.0 == 0.0 {
        format!("{}m", secs / 60.0)
    } else {
        format!("{secs}s")
    }
}

/// Where a body goes, and how much of it is accepted.
trait Sink {
    fn reset(&mut self) -> std::io::Result<()>;
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    fn finish(&mut self) -> std::io::Result<()>;
    fn limit(&self) -> u64;
}

struct MemorySink<'a>(&'a mut Vec<u8>);

impl Sink for MemorySink<'_> {
    fn reset(&mut self) -> std::io::Result<()> {
        self.0.clear();
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn limit(&self) -> u64 {
        MAX_JSON_BYTES
    }
}

struct FileSink<'a>(&'a mut std::fs::File, u64);

impl Sink for FileSink<'_> {
    fn reset(&mut self) -> std::io::Result<()> {
        use std::io::Seek;
        self.0.set_len(0)?;
        self.0.seek(std::io::SeekFrom::Start(0)).map(|_| ())
    }
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.write_all(bytes)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        self.0.sync_all()
    }
    fn limit(&self) -> u64 {
        self.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_print() {
        let token = Token::new("ghp_secret".to_string()).unwrap();
        assert!(!format!("{token:?}").contains("secret"));
        assert!(Token::new("  ".to_string()).is_none());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..40 {
            let d = backoff(attempt);
            assert!(d <= BACKOFF_CAP.mul_f64(1.5), "{attempt}: {d:?}");
        }
        assert!(backoff(1) <= Duration::from_millis(750));
        assert!(backoff(4) >= Duration::from_secs(2));
        assert_eq!(seconds(Duration::from_secs(600)), "10m");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5s");
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
