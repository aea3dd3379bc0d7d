//! Biz types: what an upload is for, as the reference API numbers them, which kinds of
//! file each accepts, and the method-2 scenes that name them.

use std::fmt;

use crate::media::Category;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BizType(u8);

/// Contract names, indexed by code.
const NAMES: [&str; 11] = [
    "BIZ_UNKNOWN",
    "BIZ_BOT_ICON",
    "BIZ_BOT_DATASET",
    "BIZ_DATASET_ICON",
    "BIZ_PLUGIN_ICON",
    "BIZ_BOT_SPACE",
    "BIZ_BOT_WORKFLOW",
    "BIZ_SOCIETY_ICON",
    "BIZ_CONNECTOR_ICON",
    "BIZ_LIBRARY_VOICE_ICON",
    "BIZ_ENTERPRISE_ICON",
];

/// Method-2 scenes (API.md section 3) and the biz type each uploads to.
pub const SCENES: [(&str, u8); 8] = [
    ("bot_icon", 1),
    ("bot_dataset", 2),
    ("plugin_icon", 4),
    ("space", 5),
    ("workflow", 6),
    ("enterprise", 10),
    ("bot_task", 0),
    ("imageflow", 6),
];

/// The scene names for messages: `bot_icon, bot_dataset, ... or imageflow`.
pub fn scene_names() -> String {
    let names: Vec<&str> = SCENES.iter().map(|(name, _)| *name).collect();
    match names.split_last() {
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl BizType {
    pub const UNKNOWN: BizType = BizType(0);
    pub const BOT_ICON: BizType = BizType(1);
    pub const BOT_DATASET: BizType = BizType(2);

    pub fn from_code(code: i64) -> Option<Self> {
        u8::try_from(code)
            .ok()
            .filter(|c| usize::from(*c) < NAMES.len())
            .map(BizType)
    }

    pub fn all() -> impl Iterator<Item = BizType> {
        (0..NAMES.len()).filter_map(|c| Self::from_code(c as i64))
    }

    /// The biz type of a method-2 scene (`bot_icon`, ...); `None` for an unknown scene.
    pub fn from_scene(scene: &str) -> Option<Self> {
        SCENES
            .iter()
            .find(|(name, _)| *name == scene)
            .map(|&(_, code)| BizType(code))
    }

    /// The biz type of an `upload_path_prefix` (`bot-icon-image`: a scene with `_` turned
    /// into `-`, then optionally `-<data_type>`).
    pub fn from_path_prefix(prefix: &str) -> Option<Self> {
        SCENES
            .iter()
            .find(|(scene, _)| {
                let base = scene.replace('_', "-");
                prefix
                    .strip_prefix(&base)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
            })
            .map(|&(_, code)| BizType(code))
    }

    pub fn code(self) -> u8 {
        self.0
    }

    /// The contract name, which is also the first segment of every URI stored for it.
    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0)]
    }

    /// Whether the icon profile applies (every type named `..._ICON`).
    pub fn is_icon(self) -> bool {
        self.name().ends_with("_ICON")
    }

    /// Icons take images only; the dataset takes documents and archives too; the other
    /// general-purpose types take images and documents.
    pub fn accepts(self, category: Category) -> bool {
        match self.0 {
            2 => true,
            0 | 5 | 6 => category != Category::Archive,
            _ => category == Category::Image,
        }
    }

    /// Human words for what `accepts` allows, for error messages.
    pub fn accepted_description(self) -> &'static str {
        match self.0 {
            2 => "images, documents and archives",
            0 | 5 | 6 => "images and documents",
            _ => "images only",
        }
    }
}

impl fmt::Display for BizType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_contract_names() {
        assert_eq!(
            BizType::from_code(1).map(BizType::name),
            Some("BIZ_BOT_ICON")
        );
        assert_eq!(
            BizType::from_code(10).map(BizType::name),
            Some("BIZ_ENTERPRISE_ICON")
        );
        assert_eq!(BizType::from_code(11), None);
        assert_eq!(BizType::from_code(-1), None);
        assert_eq!(BizType::all().count(), 11);
    }

    #[test]
    fn icons_take_images_only_and_the_dataset_takes_all() {
        assert!(BizType::BOT_ICON.accepts(Category::Image));
        assert!(!BizType::BOT_ICON.accepts(Category::Document));
        for category in [Category::Image, Category::Document, Category::Archive] {
            assert!(BizType::BOT_DATASET.accepts(category));
        }
        let space = BizType::from_code(5).expect("space");
        assert!(space.accepts(Category::Document) && !space.accepts(Category::Archive));
    }

    #[test]
    fn scenes_and_path_prefixes_name_biz_types() {
        assert_eq!(BizType::from_scene("imageflow").map(BizType::code), Some(6));
        assert_eq!(BizType::from_scene("nope"), None);
        let code = |prefix| BizType::from_path_prefix(prefix).map(BizType::code);
        assert_eq!(code("bot-icon-image"), Some(1));
        assert_eq!(code("bot-dataset"), Some(2));
        assert_eq!(code("bot-iconic"), None);
        assert_eq!(code("nope"), None);
        assert_eq!(
            scene_names(),
            "bot_icon, bot_dataset, plugin_icon, space, workflow, enterprise, bot_task or imageflow"
        );
    }
}
