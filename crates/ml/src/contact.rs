//! Contact sheets: a PNG with one row per random crop — input, prediction, target — so the
//! operator sees what the network is learning without opening an EXR viewer.

use super::space;
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// `x`: `[B, 3, c, c]` input Y'CbCr; `pred`, `target`: `[B, 2, c, c]` chroma. Prediction and
/// target are shown with the input's luma, as the render will be. Writes at most `rows` rows.
pub fn write(
    path: &Path,
    x: &Tensor,
    pred: &Tensor,
    target: &Tensor,
    rows: i64,
) -> anyhow::Result<()> {
    let rows = rows.min(x.size()[0]);
    let luma = x.narrow(0, 0, rows).narrow(1, 0, 1).to_kind(Kind::Float);
    let cells = [
        x.narrow(0, 0, rows).to_kind(Kind::Float),
        Tensor::cat(
            &[
                luma.shallow_clone(),
                pred.narrow(0, 0, rows).to_kind(Kind::Float),
            ],
            1,
        ),
        Tensor::cat(&[luma, target.narrow(0, 0, rows).to_kind(Kind::Float)], 1),
    ];
    // [rows, 3 (cells), 3 (rgb), c, c] -> an image of rows x 3 cells.
    let rgb: Vec<Tensor> = cells
        .iter()
        .map(|c| space::ycbcr_to_rgb_t(c).detach())
        .collect();
    let sheet = Tensor::stack(&rgb, 1).to_device(Device::Cpu); // [R, 3, 3, c, c]
    let s = sheet.size();
    let (r, n, c) = (s[0], s[1], s[3]);
    // -> [R*c, n*c, 3] rows of cells, top row first.
    let hwc = sheet
        .permute([0, 3, 1, 4, 2])
        .reshape([r * c, n * c, 3])
        .contiguous();
    let (h, w) = ((r * c) as usize, (n * c) as usize);
    let mut lin = vec![0f32; h * w * 3];
    hwc.copy_data(&mut lin, h * w * 3);
    let bytes: Vec<u8> = lin
        .iter()
        .map(|&v| (space::encode(v).clamp(0.0, 1.0) * 255.0 + 0.5) as u8)
        .collect();
    let img = image::RgbImage::from_raw(w as u32, h as u32, bytes)
        .ok_or_else(|| anyhow::anyhow!("contact sheet buffer"))?;
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)?;
    crate::fsx::write_atomic(path, png.get_ref())?;
    Ok(())
}
