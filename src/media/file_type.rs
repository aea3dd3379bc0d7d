//! The file types imgate knows: their categories, extensions and mime types.

/// The file types imgate stores: everything uploads may be, and AVIF, which it makes as
/// variants but does not take as uploads (see [`FileType::is_input`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Pdf,
    Doc,
    Docx,
    Txt,
    Zip,
    Tar,
    Gz,
    Avif,
}

/// What a stored file is used as; biz types accept some categories only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Image,
    Document,
    Archive,
}

/// Per type, in declaration order: canonical extension, mime type, and how
/// messages name the bytes.
const INFO: [(&str, &str, &str); 12] = [
    ("jpg", "image/jpeg", "a JPEG image"),
    ("png", "image/png", "a PNG image"),
    ("gif", "image/gif", "a GIF image"),
    ("webp", "image/webp", "a WebP image"),
    ("pdf", "application/pdf", "a PDF document"),
    ("doc", "application/msword", "a Word 97-2003 document"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "a Word document",
    ),
    ("txt", "text/plain; charset=utf-8", "plain text"),
    ("zip", "application/zip", "a ZIP archive"),
    ("tar", "application/x-tar", "a tar archive"),
    ("gz", "application/gzip", "a gzip file"),
    ("avif", "image/avif", "an AVIF image"),
];

impl Category {
    /// How the catalog and the API name it: `image`, `document` or `archive`.
    pub fn name(self) -> &'static str {
        match self {
            Category::Image => "image",
            Category::Document => "document",
            Category::Archive => "archive",
        }
    }
}

impl FileType {
    /// Every type, in declaration order.
    pub const ALL: [FileType; 12] = {
        use FileType::*;
        [
            Jpeg, Png, Gif, Webp, Pdf, Doc, Docx, Txt, Zip, Tar, Gz, Avif,
        ]
    };

    /// Whether uploads may be of this type. AVIF is an output only: variants are encoded
    /// as AVIF, but no AVIF decoder is built in, so an AVIF upload could not be processed.
    pub fn is_input(self) -> bool {
        self != FileType::Avif
    }

    /// The category this type is stored under.
    pub fn category(self) -> Category {
        match self {
            FileType::Jpeg | FileType::Png | FileType::Gif | FileType::Webp | FileType::Avif => {
                Category::Image
            }
            FileType::Pdf | FileType::Doc | FileType::Docx | FileType::Txt => Category::Document,
            FileType::Zip | FileType::Tar | FileType::Gz => Category::Archive,
        }
    }

    /// The canonical extension, without a dot.
    pub fn extension(self) -> &'static str {
        INFO[self as usize].0
    }

    /// The Content-Type the file is served with.
    pub fn mime(self) -> &'static str {
        INFO[self as usize].1
    }

    /// From a declared extension: case-insensitive, optional leading dot,
    /// "jpeg"/"jpe" = Jpeg, "tgz" => None (unknown). None if unknown.
    pub fn from_extension(ext: &str) -> Option<FileType> {
        let ext = ext.strip_prefix('.').unwrap_or(ext).to_ascii_lowercase();
        match ext.as_str() {
            "jpeg" | "jpe" => Some(FileType::Jpeg),
            other => Self::ALL.into_iter().find(|t| t.extension() == other),
        }
    }

    /// Looks up a type by its canonical extension or mime type as stored in a
    /// catalog (either works). Mime parameters such as `; charset=utf-8` are
    /// ignored, so "text/plain" finds Txt too.
    pub fn from_mime(mime: &str) -> Option<FileType> {
        let essence = |m: &str| m.split(';').next().map(|e| e.trim().to_ascii_lowercase());
        Self::ALL
            .into_iter()
            .find(|t| essence(t.mime()) == essence(mime))
            .or_else(|| Self::from_extension(mime.trim()))
    }

    /// How messages name bytes of this type.
    pub fn describe(self) -> &'static str {
        INFO[self as usize].2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FileType::*;

    #[test]
    fn extensions_and_mimes() {
        assert_eq!(FileType::from_extension("JPEG"), Some(Jpeg));
        assert_eq!(FileType::from_extension(".jpe"), Some(Jpeg));
        assert_eq!(FileType::from_extension(".Png"), Some(Png));
        assert_eq!(FileType::from_extension("tgz"), None);
        assert_eq!(FileType::from_extension(""), None);
        for t in FileType::ALL {
            assert_eq!(FileType::from_extension(t.extension()), Some(t));
            assert_eq!(FileType::from_mime(t.mime()), Some(t));
            assert_eq!(FileType::from_mime(t.extension()), Some(t));
        }
        assert_eq!(FileType::from_mime("text/plain"), Some(Txt));
        assert_eq!(FileType::from_mime("image/svg+xml"), None);
        assert_eq!(Docx.category(), Category::Document);
        assert_eq!(Gz.category(), Category::Archive);
        assert_eq!(FileType::from_mime("image/avif"), Some(Avif));
        assert!(!Avif.is_input() && Webp.is_input());
    }
}
