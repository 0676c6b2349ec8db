//! A loopback HTTP server replaying recorded API responses (VCR cassettes), with the
//! recorded host (or `{base}`) in headers rewritten to its own address.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// One recorded response.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Routes: (decoded path, `page` parameter or "1") → responses, served in turn (the last
/// one again once the others are used).
#[derive(Debug, Default)]
pub struct Routes(HashMap<(String, String), Vec<Recorded>>);

impl Routes {
    pub fn add(&mut self, path: &str, page: &str, response: Recorded) {
        self.0
            .entry((path.to_string(), page.to_string()))
            .or_default()
            .push(response);
    }

    /// Serves `response` before the responses already recorded for (path, page).
    pub fn push_front(&mut self, path: &str, page: &str, response: Recorded) {
        self.0
            .entry((path.to_string(), page.to_string()))
            .or_default()
            .insert(0, response);
    }

    /// The recorded pages of `path`, by page, in page order.
    pub fn clone_pages(&self, path: &str) -> Vec<(String, Recorded)> {
        let mut pages: Vec<(String, Recorded)> = self
            .0
            .iter()
            .filter(|((p, _), _)| p == path)
            .map(|((_, page), list)| (page.clone(), list[0].clone()))
            .collect();
        pages.sort_by(|a, b| a.0.cmp(&b.0));
        pages
    }

    /// Every interaction of a cassette, keyed by its request's path and page; the
    /// `https://api.github.com` in headers is rewritten by the server.
    pub fn cassette(&mut self, file: &std::path::Path) {
        use base64::Engine;
        let cassette: Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for interaction in cassette["http_interactions"].as_array().unwrap() {
            let uri = interaction["request"]["uri"].as_str().unwrap();
            let url = reqwest_url(uri);
            let response = &interaction["response"];
            let headers = response["headers"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v[0].as_str().unwrap_or_default().to_string()))
                .collect();
            let body = base64::engine::general_purpose::STANDARD
                // Ruby's encoder wraps lines.
                .decode(
                    response["body"]["base64_string"]
                        .as_str()
                        .unwrap()
                        .replace('\n', ""),
                )
                .unwrap();
            let (path, page) = url;
            self.add(
                &path,
                &page,
                Recorded {
                    status: response["status"]["code"].as_u64().unwrap() as u16,
                    headers,
                    body,
                },
            );
        }
    }
}

/// The decoded path and page of a URL: its `page`, `offset`, `startAt`, `nextPageToken`, `cursor`
/// or `after` parameter, else "1".
fn reqwest_url(uri: &str) -> (String, String) {
    let (path, query) = match uri.split_once("://") {
        Some((_, rest)) => {
            let rest = rest.split_once('/').map_or("", |(_, p)| p);
            let (p, q) = rest.split_once('?').unwrap_or((rest, ""));
            (format!("/{p}"), q.to_string())
        }
        None => {
            let (p, q) = uri.split_once('?').unwrap_or((uri, ""));
            (p.to_string(), q.to_string())
        }
    };
    let page = query
        .split('&')
        .find_map(|kv| {
            [
                "page=",
                "offset=",
                "startAt=",
                "nextPageToken=",
                "cursor=",
                "after=",
            ]
            .iter()
            .find_map(|p| kv.strip_prefix(p))
        })
        .unwrap_or("1")
        .to_string();
    (percent_decode(&path), page)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// A running replay server.
pub struct ReplayServer {
    pub base: String,
    /// Every request served, as `path?query`.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl ReplayServer {
    pub async fn start(routes: Routes) -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes = Arc::new(Mutex::new(routes));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (served_base, served_log) = (base.clone(), log.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (routes, base, log) = (routes.clone(), served_base.clone(), served_log.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let uri = request.uri().to_string();
                        log.lock().unwrap().push(uri.clone());
                        let key = reqwest_url(&uri);
                        let mut routes = routes.lock().unwrap();
                        let response = match routes.0.get_mut(&key) {
                            Some(list) if list.len() > 1 => Some(list.remove(0)),
                            Some(list) => list.first().cloned(),
                            None => None,
                        };
                        let response = match response {
                            Some(r) => {
                                let mut builder = Response::builder().status(r.status);
                                for (k, v) in &r.headers {
                                    if k.eq_ignore_ascii_case("content-length")
                                        || k.eq_ignore_ascii_case("transfer-encoding")
                                        || k.eq_ignore_ascii_case("content-encoding")
                                    {
                                        continue;
                                    }
                                    builder = builder.header(
                                        k,
                                        v.replace("https://api.github.com", &base)
                                            .replace("{base}", &base),
                                    );
                                }
                                builder.body(Full::new(Bytes::from(r.body))).unwrap()
                            }
                            None => Response::builder()
                                .status(404)
                                .body(Full::new(Bytes::from_static(
                                    b"{\"message\":\"Not Found\"}",
                                )))
                                .unwrap(),
                        };
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { base, log }
    }
}
