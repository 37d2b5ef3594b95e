//! TLS for the installer's HTTPS client: the rustls `ClientConfig` (ring,
//! TLS 1.2+, Mozilla's webpki roots plus every CA from `--ca-bundle` or
//! `SSL_CERT_FILE`) and the ureq connector that wraps each TCP connection
//! in it. ureq's built-in rustls connector cannot take extra roots beside
//! the webpki ones, hence this one, plugged in through ureq's `unversioned`
//! transport API (pinned to ureq 3.5.x in Cargo.toml).
//!
//! A handshake failure is handed to ureq as a rustls error, not as an I/O
//! error, so the client can tell a certificate problem (never retried)
//! from a flaky connection (retried).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

use super::{ReleaseError, Result};

/// The rustls client configuration: ring, TLS 1.2+, Mozilla's roots
/// plus every certificate in `extra` (PEM files).
pub fn client_config(extra: &[PathBuf]) -> Result<ClientConfig> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for path in extra {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|iter| iter.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| {
                ReleaseError::usage(
                    format!("cannot read CA bundle {}: {e}", path.display()),
                    Some("--ca-bundle and SSL_CERT_FILE must name a PEM file of certificates"),
                )
            })?;
        if certs.is_empty() {
            return Err(ReleaseError::usage(
                format!("CA bundle {} has no PEM certificates", path.display()),
                None,
            ));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                ReleaseError::usage(
                    format!("CA bundle {}: unusable certificate: {e}", path.display()),
                    None,
                )
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ReleaseError::Install(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// ureq connector that wraps the TCP transport in TLS with our own
/// `ClientConfig` (ureq's built-in one cannot take extra roots alongside
/// the webpki ones).
#[derive(Debug)]
pub struct TlsConnector {
    pub config: Arc<ClientConfig>,
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .host()
            .ok_or(ureq::Error::Tls("the URL has no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| ureq::Error::Tls("invalid TLS server name"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        // A handshake failure (an untrusted certificate, a bad name) comes
        // back as an I/O error wrapping rustls's; unwrap it so it is not
        // mistaken for a transient network error and retried.
        conn.complete_io(&mut sock).map_err(|e| {
            match e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                Some(tls) => ureq::Error::Rustls(tls.clone()),
                None => ureq::Error::Io(e),
            }
        })?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned { conn, sock },
        })))
    }
}

/// A TLS stream over ureq's transport, as ureq's `Transport`.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: NextTimeout,
    ) -> std::result::Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
