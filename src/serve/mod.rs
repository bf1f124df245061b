//! `infercat serve`: one process that serves the current generation's static site and the GKE
//! Recommender API (v1alpha1 for the installed gcloud, v1 for Google's client libraries) from
//! the same catalog, so `gcloud container ai profiles …` and the Quickstart's REST calls work
//! against a team's own data. A refresh (`build`) is picked up by the next request.

mod api_error;
mod cli_args;
mod fields;
mod generation;
mod lookups;
mod messages;
mod proto;
mod site_manifest;
mod static_files;
mod v1;
mod v1alpha1;

use crate::catalog::Catalog;
use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use api_error::{ApiError, ApiResult};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use generation::Generations;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

type Shared = Arc<Generations>;
type Params = Query<HashMap<String, String>>;

/// Request bodies beyond this are refused (413): the API's requests are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn run(args: &ServeArgs) -> Result<()> {
    let catalog = &args.catalog;
    if !catalog.out.join("data").exists() && catalog.raw.is_dir() {
        eprintln!(
            "note: no catalog at {}; building it from {} first",
            catalog.out.display(),
            catalog.raw.display()
        );
        // Beside a refresh job the output may not be ours to write: serve 503s until it
        // publishes rather than refusing to start.
        if let Err(e) = crate::refresh::build_catalog(&catalog.raw, &catalog.out, &catalog.analysis)
        {
            eprintln!(
                "warning: cannot build the catalog here ({e:#}); answering 503 until one is published"
            );
        }
    }
    let generations = Arc::new(Generations::new(catalog.clone()));
    if let Err(e) = generations.catalog() {
        eprintln!(
            "warning: {}; answering 503 until a build publishes one",
            e.message
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(serve(generations, args.addr))
}

async fn serve(generations: Shared, addr: std::net::SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr().context("no local address")?;
    eprintln!(
        "serving {} on http://{bound}/ (site, GKE Recommender API under /v1 and /v1alpha1); Ctrl-C stops",
        generations.out().display()
    );
    axum::serve(listener, router(generations))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server failed")
}

/// Ctrl-C, or SIGTERM from Kubernetes: stop accepting, finish the requests in flight.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    eprintln!("serve: stopping (finishing requests in flight)");
}

fn router(generations: Shared) -> Router {
    Router::new()
        .route("/v1alpha1/models", get(alpha_models))
        .route("/v1alpha1/modelServers", get(alpha_model_servers))
        .route(
            "/v1alpha1/modelServers/{server}/versions",
            get(alpha_versions),
        )
        .route("/v1alpha1/modelsAndServers", get(alpha_models_and_servers))
        .route("/v1alpha1/accelerators", get(alpha_accelerators))
        .route("/v1alpha1/optimizedManifest", get(alpha_manifest))
        .route("/v1/models:fetch", get(v1_models))
        .route("/v1/modelServers:fetch", get(v1_model_servers))
        .route("/v1/modelServerVersions:fetch", get(v1_versions))
        .route("/v1/profiles:fetch", post(v1_profiles))
        .route("/v1/benchmarkingData:fetch", post(v1_benchmarking_data))
        .route("/v1/optimizedManifest:generate", post(v1_manifest))
        .route("/v1/useCases:fetch", post(v1_use_cases).get(v1_use_cases))
        .route("/infercat/v1/manifest", get(site_manifest))
        .fallback(fallback)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(generations)
}

/// Answers an API call from the current generation's catalog as JSON.
async fn answer<F>(generations: Shared, f: F) -> Response
where
    F: FnOnce(&Catalog) -> ApiResult<Value> + Send + 'static,
{
    match on_catalog(generations, f).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Runs `f` on the current generation's catalog off the async threads (loading a new
/// generation and evaluating profiles are CPU work).
async fn on_catalog<T, F>(generations: Shared, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Catalog) -> ApiResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let loaded = generations.catalog()?;
        f(&loaded.catalog)
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::internal(format!("the request failed: {e}"))))
}

/// A JSON request body; an empty body is `{}`.
fn body_json(bytes: &Bytes) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(ApiError::invalid("the request body must be a JSON object")),
        Err(e) => Err(ApiError::invalid(format!(
            "the request body is not JSON: {e}"
        ))),
    }
}

/// A body the server would not read (over the size limit, broken transfer) as a Google-shaped
/// error.
fn body_bytes(body: Result<Bytes, BytesRejection>) -> ApiResult<Bytes> {
    body.map_err(|rejection| ApiError {
        code: rejection.status(),
        status: "INVALID_ARGUMENT",
        message: format!(
            "the request body was not read: {} (the limit is {MAX_BODY_BYTES} bytes)",
            rejection.body_text()
        ),
    })
}

async fn post_answer(
    generations: Shared,
    bytes: Result<Bytes, BytesRejection>,
    schema: &'static [fields::Field],
    f: fn(&Catalog, &Value) -> ApiResult<Value>,
) -> Response {
    match body_bytes(bytes)
        .and_then(|b| body_json(&b))
        .and_then(|b| fields::check(&b, schema, "").map(|()| b))
    {
        Ok(body) => answer(generations, move |cat| f(cat, &body)).await,
        Err(e) => e.into_response(),
    }
}

async fn alpha_models(State(g): State<Shared>) -> Response {
    answer(g, |cat| Ok(v1alpha1::models(cat))).await
}

async fn alpha_model_servers(State(g): State<Shared>, Query(q): Params) -> Response {
    answer(g, move |cat| v1alpha1::model_servers(cat, &q)).await
}

async fn alpha_versions(
    State(g): State<Shared>,
    Path(server): Path<String>,
    Query(q): Params,
) -> Response {
    answer(g, move |cat| {
        v1alpha1::model_server_versions(cat, &server, &q)
    })
    .await
}

async fn alpha_models_and_servers(State(g): State<Shared>, Query(q): Params) -> Response {
    answer(g, move |cat| v1alpha1::models_and_servers(cat, &q)).await
}

async fn alpha_accelerators(State(g): State<Shared>, Query(q): Params) -> Response {
    answer(g, move |cat| v1alpha1::accelerators(cat, &q)).await
}

async fn alpha_manifest(State(g): State<Shared>, Query(q): Params) -> Response {
    answer(g, move |cat| v1alpha1::optimized_manifest(cat, &q)).await
}

async fn v1_models(State(g): State<Shared>, Query(q): Params) -> Response {
    answer(g, move |cat| v1::fetch_models(cat, &q)).await
}

async fn v1_model_servers(State(g): State<Shared>, Query(q): Params) -> Response {
    answer(g, move |cat| v1::fetch_model_servers(cat, &q)).await
}

async fn v1_versions(State(g): State<Shared>, Query(q): Params) -> Response {
    answer(g, move |cat| v1::fetch_model_server_versions(cat, &q)).await
}

async fn v1_profiles(State(g): State<Shared>, bytes: Result<Bytes, BytesRejection>) -> Response {
    post_answer(g, bytes, fields::FETCH_PROFILES, v1::fetch_profiles).await
}

async fn v1_benchmarking_data(
    State(g): State<Shared>,
    bytes: Result<Bytes, BytesRejection>,
) -> Response {
    post_answer(
        g,
        bytes,
        fields::FETCH_BENCHMARKING_DATA,
        v1::fetch_benchmarking_data,
    )
    .await
}

async fn v1_manifest(State(g): State<Shared>, bytes: Result<Bytes, BytesRejection>) -> Response {
    post_answer(
        g,
        bytes,
        fields::GENERATE_OPTIMIZED_MANIFEST,
        v1::generate_optimized_manifest,
    )
    .await
}

async fn site_manifest(
    State(g): State<Shared>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    match on_catalog(g, move |cat| site_manifest::manifest_text(cat, &q)).await {
        Ok(text) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/yaml; charset=utf-8",
                ),
                (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (axum::http::header::CACHE_CONTROL, "no-cache"),
            ],
            text,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn v1_use_cases(bytes: Result<Bytes, BytesRejection>) -> Response {
    match body_bytes(bytes)
        .and_then(|b| body_json(&b))
        .and_then(|b| fields::check(&b, &[], ""))
    {
        Ok(()) => axum::Json(v1::fetch_use_cases()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A known API path with the wrong method: the API's 404, as Google's front end answers.
async fn wrong_method(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/v1/") || path.starts_with("/v1alpha1/") {
        return ApiError::not_found(format!("no API method at {method} {path}")).into_response();
    }
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "only GET and HEAD\n",
    )
        .into_response()
}

/// Unknown API paths get the API's 404; everything else is the site.
async fn fallback(
    State(g): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if path.starts_with("/v1/") || path.starts_with("/v1alpha1/") {
        return ApiError::not_found(format!("no API method at {method} {path}")).into_response();
    }
    tokio::task::spawn_blocking(move || static_files::serve(&g, &method, &uri, &headers))
        .await
        .unwrap_or_else(|e| ApiError::internal(format!("{e}")).into_response())
}
