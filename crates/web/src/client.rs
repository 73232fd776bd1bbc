//! Who is at the other end of the connection: the client's IP address (sign-in throttling
//! counts failures per address) and whether the client reached us over HTTPS (the session
//! cookie is then marked `Secure`).
//!
//! Without [`WebConfig::trust_proxy`] only the TCP peer counts and forwarding headers are
//! ignored, because any client can send them. With it (Checkpoint behind a reverse proxy
//! that terminates TLS), the address is the right-most entry of `X-Forwarded-For` — the one
//! the proxy itself appended, which a client cannot forge — and `X-Forwarded-Proto: https`
//! marks the request as secure.

use crate::{AppState, WebConfig};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client's IP address, when known (a router served without connection information,
/// as in some tests, knows none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The address as text, for the throttle's counts and the audit log.
    pub fn key(&self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(ClientAddress(client_ip(
            &parts.headers,
            peer,
            &state.config,
        )))
    }
}

/// The client's address: the proxy's right-most `X-Forwarded-For` entry when the proxy is
/// trusted, else the TCP peer.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, config: &WebConfig) -> Option<IpAddr> {
    if config.trust_proxy
        && let Some(forwarded) = forwarded_for(headers)
    {
        return Some(forwarded);
    }
    peer
}

fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    // Several headers may be sent; together they form one list, the proxy's entry last.
    let last = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())?;
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Whether cookies set on this response should be `Secure`: always with
/// [`WebConfig::secure_cookies`]; with [`WebConfig::trust_proxy`], also when the proxy says
/// the client used HTTPS.
pub fn secure_request(headers: &HeaderMap, config: &WebConfig) -> bool {
    config.secure_cookies
        || (config.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn config(trust_proxy: bool, secure_cookies: bool) -> WebConfig {
        WebConfig {
            secure_cookies,
            trust_proxy,
        }
    }

    #[test]
    fn forwarding_headers_count_only_behind_a_trusted_proxy() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7"),
        );
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(
            client_ip(&headers, Some(peer), &config(false, false)),
            Some(peer)
        );
        assert!(!secure_request(&headers, &config(false, false)));
        // The right-most entry is the one the proxy appended; the left ones are the client's.
        assert_eq!(
            client_ip(&headers, Some(peer), &config(true, false)),
            "198.51.100.7".parse().ok()
        );
        assert!(secure_request(&headers, &config(true, false)));
        assert!(secure_request(&HeaderMap::new(), &config(false, true)));
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("not an address"),
        );
        assert_eq!(
            client_ip(&headers, Some(peer), &config(true, false)),
            Some(peer)
        );
    }
}
