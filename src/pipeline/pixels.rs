//! `Pixels`: a decoded still image as 8-bit RGB or RGBA rows, and the whole-image steps
//! that do not resize: orientation and conversion to sRGB.

use image::{DynamicImage, RgbImage, RgbaImage};

/// An 8-bit image, 3 (RGB) or 4 (RGBA) channels, rows packed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pixels({}x{}x{})",
            self.width, self.height, self.channels
        )
    }
}

impl Pixels {
    /// RGBA when the image has alpha, RGB otherwise; deeper images drop to 8 bits.
    pub fn from_dynamic(image: DynamicImage) -> Self {
        if image.color().has_alpha() {
            let rgba = image.into_rgba8();
            Self::from_parts(rgba.width(), rgba.height(), 4, rgba.into_raw())
        } else {
            let rgb = image.into_rgb8();
            Self::from_parts(rgb.width(), rgb.height(), 3, rgb.into_raw())
        }
    }

    pub fn from_parts(width: u32, height: u32, channels: u8, data: Vec<u8>) -> Self {
        debug_assert_eq!(
            data.len(),
            width as usize * height as usize * usize::from(channels)
        );
        Self {
            width,
            height,
            channels,
            data,
        }
    }

    pub fn has_alpha(&self) -> bool {
        self.channels == 4
    }

    /// Whether any pixel is not fully opaque (an RGBA image may not need its alpha).
    pub fn uses_alpha(&self) -> bool {
        self.has_alpha() && self.data.chunks_exact(4).any(|p| p[3] != 255)
    }

    fn into_dynamic(self) -> DynamicImage {
        let (w, h) = (self.width, self.height);
        let fallback = || DynamicImage::new_rgb8(w, h);
        if self.channels == 4 {
            RgbaImage::from_raw(w, h, self.data).map_or_else(fallback, DynamicImage::ImageRgba8)
        } else {
            RgbImage::from_raw(w, h, self.data).map_or_else(fallback, DynamicImage::ImageRgb8)
        }
    }

    /// Turns the pixels so the image shows upright (EXIF orientation 1-8).
    pub fn orient(self, orientation: u8) -> Self {
        let Some(orientation) = image::metadata::Orientation::from_exif(orientation) else {
            return self;
        };
        if orientation == image::metadata::Orientation::NoTransforms {
            return self;
        }
        let mut image = self.into_dynamic();
        image.apply_orientation(orientation);
        Self::from_dynamic(image)
    }

    /// Converts from the embedded ICC profile to sRGB, so no profile needs to be stored.
    /// A profile that cannot be read leaves the pixels as they are.
    pub fn to_srgb(mut self, icc: &[u8]) -> Self {
        use moxcms::{ColorProfile, Layout, TransformOptions};
        let Ok(source) = ColorProfile::new_from_slice(icc) else {
            return self;
        };
        let layout = if self.has_alpha() {
            Layout::Rgba
        } else {
            Layout::Rgb
        };
        let srgb = ColorProfile::new_srgb();
        let Ok(transform) =
            source.create_transform_8bit(layout, &srgb, layout, TransformOptions::default())
        else {
            return self;
        };
        let mut out = vec![0u8; self.data.len()];
        if transform.transform(&self.data, &mut out).is_ok() {
            self.data = out;
        }
        self
    }
}
