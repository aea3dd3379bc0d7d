//! `/metrics` after known traffic, scraped from a real `imgate serve`: each counter moved
//! by what the traffic did (uploads by method and outcome, bytes, the HTTP route
//! families, CDN cache results, pipeline stages, staging writes); the metrics listener
//! apart from the API; the off switch.

use std::collections::BTreeMap;

use crate::helpers::{fixture, text_of};
use crate::ops_client::{Deployment, scrape};

/// The value of `series`, which must be there.
fn value(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("no `{series}` in the scrape: {samples:#?}"))
}

async fn get_body(url: &str) -> Vec<u8> {
    let response = reqwest::get(url).await.expect("get");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("bytes").to_vec()
}

#[tokio::test]
async fn counters_move_by_what_the_traffic_did() {
    let deployment = Deployment::new();
    let (_server, base) = deployment.serve(&[]).await;
    let png = fixture("files/sample.png");
    let jpg = fixture("images/orient-6.jpg");
    let (status, _, stored) = deployment.upload_base64(&base, "png", &png).await;
    assert_eq!(status, 200, "{stored}");
    let (status, _, refused) = deployment.upload_base64(&base, "png", &text_of(100)).await;
    assert_eq!(status, 415, "{refused}");
    deployment.upload_direct(&base, &png).await;
    deployment.upload_chunked(&base, &jpg, 2).await;
    let url = stored["data"]["upload_url"].as_str().expect("url");
    let variant = format!("{url}~tplv-imgate-resize:32:32.webp");
    let mut served = 0;
    for url in [url, url, &variant, &variant] {
        served += get_body(url).await.len();
    }

    // The variant is answered first and stored just after: scrape once it is.
    let recorded = "imgate_catalog_operations_total{backend=\"sqlite\",operation=\"insert_objects\",outcome=\"ok\"}";
    let mut samples = scrape(&base).await.1;
    for _ in 0..100 {
        let storing = samples.get("imgate_cdn_variants_storing").copied();
        if samples.get(recorded).is_some_and(|n| *n >= 4.0) && storing == Some(0.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        samples = scrape(&base).await.1;
    }
    let uploads = |method: &str, outcome: &str| {
        value(
            &samples,
            &format!(
                "imgate_uploads_total{{method=\"{method}\",outcome=\"{outcome}\",biz_type=\"BIZ_BOT_ICON\"}}"
            ),
        )
    };
    assert_eq!(uploads("base64", "stored"), 1.0);
    assert_eq!(uploads("base64", "refused"), 1.0);
    assert_eq!(uploads("imagex_direct", "stored"), 1.0);
    assert_eq!(uploads("imagex_chunked", "stored"), 1.0);
    let received = |method: &str| {
        value(
            &samples,
            &format!("imgate_upload_received_bytes_total{{method=\"{method}\"}}"),
        )
    };
    assert_eq!(received("base64"), png.len() as f64);
    assert_eq!(received("imagex_direct"), png.len() as f64);
    assert_eq!(received("imagex_chunked"), jpg.len() as f64);
    for method in ["base64", "imagex_direct", "imagex_chunked"] {
        let series = format!("imgate_upload_commit_duration_seconds_count{{method=\"{method}\"}}");
        assert_eq!(value(&samples, &series), 1.0, "{series}");
    }
    let requests = |route: &str, method: &str, status: &str| {
        value(
            &samples,
            &format!(
                "imgate_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(requests("bot_upload", "POST", "2xx"), 1.0);
    assert_eq!(requests("bot_upload", "POST", "4xx"), 1.0);
    assert_eq!(requests("imagex_action", "GET", "2xx"), 2.0, "two applies");
    assert_eq!(requests("imagex_action", "POST", "2xx"), 2.0, "two commits");
    assert_eq!(
        requests("upload_host", "POST", "2xx"),
        5.0,
        "direct, init, two parts, complete"
    );
    assert_eq!(requests("cdn", "GET", "2xx"), 4.0);
    assert_eq!(
        value(
            &samples,
            "imgate_http_request_duration_seconds_count{route=\"cdn\"}"
        ),
        4.0
    );
    let cache = |result: &str| {
        value(
            &samples,
            &format!("imgate_cdn_responses_total{{cache=\"{result}\"}}"),
        )
    };
    assert_eq!(cache("store_hit"), 1.0, "the first GET reads the store");
    assert_eq!(cache("memory_hit"), 2.0, "the repeats come from memory");
    assert_eq!(cache("variant_made"), 1.0);
    assert_eq!(
        value(&samples, "imgate_cdn_served_bytes_total"),
        served as f64
    );
    assert_eq!(
        value(&samples, "imgate_cdn_variant_render_duration_seconds_count"),
        1.0
    );
    assert_eq!(
        value(&samples, "imgate_cdn_variants_storing"),
        0.0,
        "the variant's store has finished"
    );
    assert_eq!(
        value(
            &samples,
            "imgate_pipeline_stage_duration_seconds_count{stage=\"probe\"}"
        ),
        4.0,
        "three images uploaded, one variant rendered"
    );
    assert_eq!(
        value(
            &samples,
            "imgate_storage_operations_total{backend=\"local\",store=\"staging\",operation=\"put\",outcome=\"ok\"}"
        ),
        3.0,
        "the direct upload and two parts are staged"
    );
    assert_eq!(
        value(
            &samples,
            "imgate_pipeline_jobs{lane=\"main\",state=\"running\"}"
        ),
        0.0
    );
    let catalog = |operation: &str| {
        value(
            &samples,
            &format!(
                "imgate_catalog_operations_total{{backend=\"sqlite\",operation=\"{operation}\",outcome=\"ok\"}}"
            ),
        )
    };
    assert_eq!(
        catalog("insert_objects"),
        4.0,
        "three uploads and one variant recorded"
    );
    assert_eq!(
        catalog("claim_upload"),
        2.0,
        "two commits claimed their file"
    );
    assert_eq!(catalog("record_part"), 2.0, "two parts");
    let build = samples
        .iter()
        .find(|(series, _)| series.starts_with("imgate_build_info{version=\"0.1.0\",commit=\""));
    assert_eq!(build.map(|(_, v)| *v), Some(1.0), "{samples:#?}");
}

#[tokio::test]
async fn metrics_can_move_to_their_own_listener_or_be_switched_off() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let deployment = Deployment::new();
    let (server, base) = deployment
        .serve(&[("IMGATE__METRICS__LISTEN", &listen)])
        .await;
    let on_api = reqwest::get(format!("{base}/metrics")).await.expect("get");
    assert_eq!(on_api.status(), 404, "not on the API's listener");
    let (text, _) = scrape(&format!("http://{listen}")).await;
    assert!(text.contains("imgate_build_info"), "{text}");
    drop(server);

    let (_server, base) = deployment
        .serve(&[("IMGATE__METRICS__ENABLED", "false")])
        .await;
    let off = reqwest::get(format!("{base}/metrics")).await.expect("get");
    assert_eq!(off.status(), 404);
}
