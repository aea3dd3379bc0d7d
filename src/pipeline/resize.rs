//! Resizing with `fast_image_resize` (SIMD convolution, Lanczos3): fit within an edge, or
//! fill a square by centre-cropping. Never upscales.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::Pixels;

/// Scales down so the longer side is at most `max_edge`; smaller images are returned as they are.
pub fn fit_within(pixels: Pixels, max_edge: u32) -> Pixels {
    let long = pixels.width.max(pixels.height);
    if long <= max_edge {
        return pixels;
    }
    let scale = f64::from(max_edge) / f64::from(long);
    let w = ((f64::from(pixels.width) * scale).round() as u32).max(1);
    let h = ((f64::from(pixels.height) * scale).round() as u32).max(1);
    resize(&pixels, None, w, h)
}

/// A centre-cropped square of `size` (or of the shorter side, when that is smaller).
pub fn square(pixels: &Pixels, size: u32) -> Pixels {
    let side = pixels.width.min(pixels.height);
    let out = size.min(side);
    let left = f64::from(pixels.width - side) / 2.0;
    let top = f64::from(pixels.height - side) / 2.0;
    let crop = (left, top, f64::from(side), f64::from(side));
    if out == side && pixels.width == pixels.height {
        return pixels.clone();
    }
    resize(pixels, Some(crop), out, out)
}

/// Exactly `w x h`: scaled to cover it and centre-cropped.
pub fn cover(pixels: &Pixels, w: u32, h: u32) -> Pixels {
    let scale =
        (f64::from(w) / f64::from(pixels.width)).max(f64::from(h) / f64::from(pixels.height));
    let crop_w = (f64::from(w) / scale).min(f64::from(pixels.width));
    let crop_h = (f64::from(h) / scale).min(f64::from(pixels.height));
    let left = (f64::from(pixels.width) - crop_w) / 2.0;
    let top = (f64::from(pixels.height) - crop_h) / 2.0;
    resize(pixels, Some((left, top, crop_w, crop_h)), w, h)
}

fn resize(pixels: &Pixels, crop: Option<(f64, f64, f64, f64)>, w: u32, h: u32) -> Pixels {
    let kind = if pixels.has_alpha() {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if let Some((left, top, width, height)) = crop {
        options = options.crop(left, top, width, height);
    }
    let mut out = Image::new(w, h, kind);
    let resized = ImageRef::new(pixels.width, pixels.height, &pixels.data, kind)
        .ok()
        .and_then(|source| Resizer::new().resize(&source, &mut out, &options).ok());
    match resized {
        Some(()) => Pixels::from_parts(w, h, pixels.channels, out.into_vec()),
        // Sizes and buffers come from `Pixels`, so this cannot fail; keep the input if it does.
        None => pixels.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(w: u32, h: u32) -> Pixels {
        Pixels::from_parts(w, h, 3, [200u8, 100, 50].repeat((w * h) as usize))
    }

    #[test]
    fn fits_within_keeping_the_aspect() {
        let out = fit_within(solid(400, 300), 200);
        assert_eq!((out.width, out.height), (200, 150));
        assert_eq!(&out.data[..3], &[200, 100, 50]);
        let small = fit_within(solid(40, 30), 200);
        assert_eq!((small.width, small.height), (40, 30));
    }

    #[test]
    fn squares_crop_and_never_upscale() {
        let out = square(&solid(400, 300), 128);
        assert_eq!((out.width, out.height), (128, 128));
        let out = square(&solid(100, 60), 128);
        assert_eq!((out.width, out.height), (60, 60));
    }
}
