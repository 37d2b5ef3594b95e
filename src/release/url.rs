//! URLs as the installer handles them: only absolute `https://` ones
//! without credentials ([`parse_https`]), redirect targets resolved against
//! the URL that answered and held to the same rule ([`resolve_location`]),
//! the origin (host and port) that decides who gets the token
//! ([`origin`]), and the form every URL takes in a message ([`redact`]):
//! credentials and query strings (where signed object-store URLs carry
//! their tokens) never reach the output, and hostile characters are
//! escaped.

use ureq::http::Uri;

use super::{ReleaseError, Result};

/// Scheme-less origin: host and effective port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    host: String,
    port: u16,
}

/// Parse an absolute URL and insist on `https`.
pub fn parse_https(url: &str) -> Result<Uri> {
    let uri: Uri = url.parse().map_err(|e| ReleaseError::Network {
        url: redact(url),
        message: format!("not a valid URL: {e}"),
    })?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => {}
        Some(s) if s.eq_ignore_ascii_case("http") => {
            return Err(ReleaseError::Network {
                url: redact(url),
                message: "refusing plain http://; only https:// is allowed".to_string(),
            });
        }
        _ => {
            return Err(ReleaseError::Network {
                url: redact(url),
                message: "only absolute https:// URLs are allowed".to_string(),
            });
        }
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(ReleaseError::Network {
            url: "(a URL with credentials)".to_string(),
            message: "credentials in URLs are not allowed; use --token".to_string(),
        });
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ReleaseError::Network {
            url: redact(url),
            message: "the URL has no host".to_string(),
        });
    }
    Ok(uri)
}

/// The origin of `uri`: its lower-cased host and effective port (443
/// when none is given).
pub fn origin(uri: &Uri) -> Result<Origin> {
    let host = uri
        .host()
        .ok_or_else(|| ReleaseError::Network {
            url: redact(&uri.to_string()),
            message: "the URL has no host".to_string(),
        })?
        .to_ascii_lowercase();
    Ok(Origin {
        host,
        port: uri.port_u16().unwrap_or(443),
    })
}

/// Resolve a `Location` header against the URL that returned it; the result
/// must be https.
pub fn resolve_location(base: &Uri, location: &str) -> Result<Uri> {
    let location = location.trim();
    let absolute = if location.contains("://") {
        location.to_string()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("https://{rest}")
    } else {
        let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
        if location.starts_with('/') {
            format!("https://{authority}{location}")
        } else {
            let path = base.path();
            let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            let dir = if dir.is_empty() { "/" } else { dir };
            format!("https://{authority}{dir}{location}")
        }
    };
    parse_https(&absolute).map_err(|e| match e {
        ReleaseError::Network { message, .. } => ReleaseError::Network {
            url: redact(&base.to_string()),
            message: format!("redirect to {}: {message}", redact(&absolute)),
        },
        other => other,
    })
}

/// A URL for messages: credentials (`user:pw@`) become `***@`, a query
/// string (signed URLs carry their tokens there) becomes `?…`, a fragment
/// is dropped, and control or invisible characters are escaped.
pub fn redact(url: &str) -> String {
    let (base, had_query) = match url.split_once(['?', '#']) {
        Some((base, _)) => (base, url[base.len()..].starts_with('?')),
        None => (url, false),
    };
    let base = match base.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}{path}"),
                None => base.to_string(),
            }
        }
        None => base.to_string(),
    };
    let shown = super::sanitize::escaped(&base);
    if had_query {
        format!("{shown}?…")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused() {
        let err = parse_https("http://example.com/x").unwrap_err().to_string();
        assert!(err.contains("refusing plain http://"), "{err}");
        assert!(parse_https("ftp://example.com/x").is_err());
        assert!(parse_https("/relative").is_err());
        assert!(parse_https("https://example.com/x").is_ok());
        let err = parse_https("https://user:pw@example.com/x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("credentials") && !err.contains("pw"), "{err}");
    }

    #[test]
    fn redirects_resolve_and_stay_https() {
        let base: Uri = "https://api.example.com:8443/repos/o/r/assets/1"
            .parse()
            .unwrap();
        let abs = resolve_location(&base, "https://cdn.example.net/blob?sig=1").unwrap();
        assert_eq!(abs.host(), Some("cdn.example.net"));
        let root = resolve_location(&base, "/other").unwrap();
        assert_eq!(root.to_string(), "https://api.example.com:8443/other");
        let rel = resolve_location(&base, "2").unwrap();
        assert_eq!(
            rel.to_string(),
            "https://api.example.com:8443/repos/o/r/assets/2"
        );
        let scheme_rel = resolve_location(&base, "//cdn.example.net/x").unwrap();
        assert_eq!(scheme_rel.scheme_str(), Some("https"));
        let err = resolve_location(&base, "http://cdn.example.net/x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("refusing plain http://"), "{err}");
    }

    #[test]
    fn origins_compare_host_and_port() {
        let a = origin(&"https://API.example.com/x".parse().unwrap()).unwrap();
        let b = origin(&"https://api.example.com:443/y".parse().unwrap()).unwrap();
        let c = origin(&"https://api.example.com:8443/y".parse().unwrap()).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn urls_in_messages_are_redacted() {
        assert_eq!(
            redact("https://cdn/x?X-Amz-Signature=abc"),
            "https://cdn/x?…"
        );
        assert_eq!(
            redact("https://user:s3cret@cdn.example.net:8443/a/b?token=t#frag"),
            "https://***@cdn.example.net:8443/a/b?…"
        );
        assert_eq!(redact("https://h/p#x"), "https://h/p");
        assert_eq!(
            redact("https://h/\u{202e}evil\n"),
            "https://h/\\u{202e}evil\\n"
        );
        let err = resolve_location(
            &"https://api.example.com/x".parse().unwrap(),
            "https://user:hunter2@cdn.example.net/blob?sig=abc",
        )
        .unwrap_err()
        .to_string();
        assert!(!err.contains("hunter2") && !err.contains("abc"), "{err}");
    }
}
