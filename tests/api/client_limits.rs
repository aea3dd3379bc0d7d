//! `GET /api/upload/limits`, and the client choosing its method from it: a server with a
//! lower Base64 limit is sent its files by the ImageX flow without a 413 first.

use serde_json::Value;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn limits_answer_the_servers_settings_without_a_credential() {
    let app = spawn_app_with(|s| {
        s.uploads.base64_max_bytes = 1000;
        s.imagex.max_file_bytes = 2_000_000;
        s.imagex.max_part_bytes = 300_000;
        s.imagex.max_parts = 12;
    })
    .await;
    let (status, body) = app.get_json("/api/upload/limits").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["code"], &body["msg"]),
        (&Value::from(0), &Value::from("success"))
    );
    let data = &body["data"];
    assert_eq!(data["base64"]["max_bytes"], 1000, "{data}");
    assert_eq!(data["imagex"]["max_file_bytes"], 2_000_000, "{data}");
    assert_eq!(data["imagex"]["max_part_bytes"], 300_000, "{data}");
    assert_eq!(data["imagex"]["max_parts"], 12, "{data}");
    let biz_types = data["biz_types"].as_array().expect("biz_types");
    assert_eq!(biz_types.len(), 11, "{data}");
    let icon = &biz_types[1];
    assert_eq!(icon["code"], 1);
    assert_eq!(icon["name"], "BIZ_BOT_ICON");
    assert_eq!(icon["accepts"], serde_json::json!(["image"]));
    assert_eq!(
        icon["file_types"],
        serde_json::json!(["jpg", "png", "gif", "webp"])
    );
    assert_eq!(icon["profile"], "icon");
    let dataset = &biz_types[2];
    assert_eq!(dataset["name"], "BIZ_BOT_DATASET");
    assert_eq!(
        dataset["accepts"],
        serde_json::json!(["image", "document", "archive"])
    );
    assert_eq!(dataset["profile"], "image");
    let space = &biz_types[5];
    assert_eq!(space["accepts"], serde_json::json!(["image", "document"]));
    assert!(
        space["file_types"]
            .as_array()
            .is_some_and(|t| t.contains(&Value::from("pdf")) && !t.contains(&Value::from("zip"))),
        "{space}"
    );
}
