//! Reads what an image is from its header: format, size, frames, orientation and colour
//! profile, without decoding a pixel.

use std::io::Cursor;

use image::ImageDecoder;

use super::{PipelineError, chunks, exif, jpeg};
use crate::media::FileType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub format: FileType,
    /// Stored (not displayed) width and height.
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    /// EXIF orientation, 1-8 (1 when there is none).
    pub orientation: u8,
    pub icc: Option<Vec<u8>>,
    /// A JPEG in CMYK or YCCK, which only the general decoder reads.
    pub cmyk: bool,
    /// Scans of a JPEG (each is a pass over every block when decoding); 1 otherwise.
    pub scans: u32,
}

impl Probe {
    /// Width and height as displayed, after the orientation is applied.
    pub fn display_size(&self) -> (u32, u32) {
        if self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }

    pub fn is_animated(&self) -> bool {
        self.frames > 1
    }
}

pub fn probe(bytes: &[u8], format: FileType) -> Result<Probe, PipelineError> {
    match format {
        FileType::Jpeg => probe_jpeg(bytes),
        FileType::Png => probe_png(bytes),
        FileType::Gif => probe_gif(bytes),
        FileType::Webp => probe_webp(bytes),
        other => Err(PipelineError::Undecodable(format!(
            "{} is not an image",
            other.extension()
        ))),
    }
}

fn undecodable(e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Undecodable(e.to_string())
}

fn probe_jpeg(bytes: &[u8]) -> Result<Probe, PipelineError> {
    let layout = jpeg::parse(bytes)?;
    jpeg::check_trailer(&bytes[layout.end..])?;
    Ok(Probe {
        format: FileType::Jpeg,
        width: layout.width,
        height: layout.height,
        frames: 1,
        orientation: exif::first_readable(layout.exif_blocks(bytes)),
        icc: layout.icc(bytes),
        cmyk: layout.components == 4,
        scans: layout.scans,
    })
}

/// Most memory reading a PNG's header may take: its colour profile and text chunks are
/// compressed, and a small file can inflate to gigabytes. A colour profile that does not
/// fit is left unread (the decoder ignores it, as the sRGB conversion ignores profiles
/// over 10 MiB); chunks that do not fit at all refuse the file.
const PNG_HEADER_BYTES: u64 = 16 * 1024 * 1024;

fn probe_png(bytes: &[u8]) -> Result<Probe, PipelineError> {
    let mut limits = image::Limits::no_limits();
    limits.max_alloc = Some(PNG_HEADER_BYTES);
    let too_large = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PipelineError::Undecodable(format!(
            "PNG header chunks need more than {PNG_HEADER_BYTES} bytes to read"
        )),
        other => undecodable(other),
    };
    let mut decoder = image::codecs::png::PngDecoder::with_limits(Cursor::new(bytes), limits)
        .map_err(too_large)?;
    let (width, height) = decoder.dimensions();
    Ok(Probe {
        format: FileType::Png,
        width,
        height,
        frames: 1,
        orientation: exif::first_readable(exif::png_blocks(bytes)),
        icc: decoder.icc_profile().map_err(undecodable)?,
        cmyk: false,
        scans: 1,
    })
}

fn probe_gif(bytes: &[u8]) -> Result<Probe, PipelineError> {
    let (width, height, frames) = chunks::count_gif_frames(bytes)?;
    if frames == 0 {
        return Err(PipelineError::Undecodable("GIF has no frames".into()));
    }
    Ok(Probe {
        format: FileType::Gif,
        width,
        height,
        frames,
        orientation: 1,
        icc: None,
        cmyk: false,
        scans: 1,
    })
}

fn probe_webp(bytes: &[u8]) -> Result<Probe, PipelineError> {
    let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    Ok(Probe {
        format: FileType::Webp,
        width,
        height,
        frames: if decoder.is_animated() {
            decoder.num_frames()
        } else {
            1
        },
        orientation: exif::first_readable(exif::webp_blocks(bytes)),
        icc: decoder.icc_profile().map_err(undecodable)?,
        cmyk: false,
        scans: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images");
        std::fs::read(path.join(name)).expect("fixture")
    }

    #[test]
    fn a_webp_exif_chunk_cut_by_the_end_of_the_file_still_orients() {
        let mut webp = fixture("exif-past-end.webp");
        let at = webp
            .windows(4)
            .rposition(|w| w == b"EXIF")
            .expect("EXIF chunk");
        webp[at + 4..at + 8].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
        let probed = probe(&webp, FileType::Webp).expect("probes");
        assert_eq!(probed.orientation, 6);
    }

    #[test]
    fn a_png_colour_profile_is_inflated_only_up_to_the_bound() {
        let png = fixture("icc-bomb.png");
        let probed = probe(&png, FileType::Png).expect("probes");
        assert_eq!((probed.width, probed.height, probed.icc), (16, 16, None));
        let mut small = Vec::new();
        let mut encoder = image::codecs::png::PngEncoder::new(&mut small);
        image::ImageEncoder::set_icc_profile(&mut encoder, vec![7; 3000]).expect("icc");
        let rgb = image::ExtendedColorType::Rgb8;
        image::ImageEncoder::write_image(encoder, &[0; 12], 2, 2, rgb).expect("encodes");
        let probed = probe(&small, FileType::Png).expect("probes");
        assert_eq!(probed.icc, Some(vec![7; 3000]));
    }

    #[test]
    fn a_png_with_two_exif_chunks_probes_and_decodes() {
        let png = fixture("exif-subifd-next.png");
        let at = png.windows(4).position(|w| w == b"eXIf").expect("eXIf") - 4;
        let len = u32::from_be_bytes(png[at..at + 4].try_into().expect("length")) as usize;
        let twice = [&png[..at], &png[at..at + 12 + len], &png[at..]].concat();
        let probed = probe(&twice, FileType::Png).expect("probes");
        assert_eq!(probed.orientation, 6);
        let limits = super::super::DecodeLimits::default();
        let pixels = super::super::decode(&twice, &probed, &limits, 1).expect("decodes");
        assert_eq!((pixels.width, pixels.height), (80, 120));
    }
}
