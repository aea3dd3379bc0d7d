//! Biz types: what an upload is for, as the reference API numbers them, and which kinds of
//! file each accepts.

use std::fmt;

use super::sniff::Category;

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

impl BizType {
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
        let code = match scene {
            "bot_icon" => 1,
            "bot_dataset" => 2,
            "plugin_icon" => 4,
            "space" => 5,
            "workflow" | "imageflow" => 6,
            "enterprise" => 10,
            "bot_task" => 0,
            _ => return None,
        };
        Self::from_code(code)
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
}
