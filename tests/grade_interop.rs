//! `.cube` and `.cc` files written by tinct read back by OpenColorIO and colour-science (the
//! tools a colourist's Resolve/Nuke pipeline relies on), and `.cube` files written by
//! colour-science read by tinct: same colours within 1e-4.

use std::path::Path;
use std::process::Command;
use tinct::grade::{Cdl, Lut3d, cube};

fn python() -> String {
    std::env::var("TINCT_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Run a python snippet; the peers are required (CI installs them), so a missing module fails.
fn py(script: &str) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .output()
        .expect("python not runnable (set TINCT_PYTHON)");
    assert!(
        out.status.success(),
        "python peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn probe_colours() -> Vec<[f32; 3]> {
    (0..200)
        .map(|i| {
            [
                ((i * 37) % 101) as f32 / 100.0,
                ((i * 53) % 97) as f32 / 96.0,
                ((i * 11) % 89) as f32 / 88.0,
            ]
        })
        .collect()
}

fn parse_rows(text: &str) -> Vec<[f32; 3]> {
    text.lines()
        .map(|l| {
            let v: Vec<f32> = l.split_whitespace().map(|w| w.parse().unwrap()).collect();
            [v[0], v[1], v[2]]
        })
        .collect()
}

fn colours_literal(c: &[[f32; 3]]) -> String {
    let rows: Vec<String> = c
        .iter()
        .map(|p| format!("[{},{},{}]", p[0], p[1], p[2]))
        .collect();
    format!("[{}]", rows.join(","))
}

/// A LUT with a non-trivial, channel-crossing grade, so axis-order mistakes show.
fn graded_lut(size: usize) -> Lut3d {
    let mut lut = Lut3d::identity(size);
    for v in &mut lut.data {
        let [r, g, b] = *v;
        *v = [
            0.8 * r + 0.2 * g * g,
            0.9 * g + 0.1 * b,
            (b * 1.1 - 0.1 * r).clamp(0.0, 1.0),
        ];
    }
    lut
}

fn assert_close(a: &[[f32; 3]], b: &[[f32; 3]], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(b)
        .flat_map(|(p, q)| (0..3).map(move |c| (p[c] - q[c]).abs()))
        .fold(0.0, f32::max);
    assert!(worst <= tol, "{what}: worst difference {worst}");
}

#[test]
fn opencolorio_reads_our_cube_with_the_same_colours() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grade.cube");
    let lut = graded_lut(17);
    cube::write(&path, &lut, "interop", &[]).unwrap();
    let colours = probe_colours();
    let script = format!(
        "import PyOpenColorIO as ocio\n\
         cfg = ocio.Config.CreateRaw()\n\
         t = ocio.FileTransform(src=r'{}', interpolation=ocio.INTERP_LINEAR)\n\
         cpu = cfg.getProcessor(t).getDefaultCPUProcessor()\n\
         for c in {}:\n    print(*cpu.applyRGB(c))\n",
        path.display(),
        colours_literal(&colours)
    );
    let theirs = parse_rows(&py(&script));
    let ours: Vec<[f32; 3]> = colours.iter().map(|c| lut.apply(*c)).collect();
    assert_close(&ours, &theirs, 1e-4, "OCIO vs tinct");
}

#[test]
fn a_cube_written_by_colour_science_loads_in_tinct() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("theirs.cube");
    let colours = probe_colours();
    let script = format!(
        "import colour, numpy as np\n\
         from colour.algebra import table_interpolation_trilinear\n\
         lut = colour.LUT3D(size=9)\n\
         t = lut.table\n\
         lut.table = np.stack([t[...,0]**1.5, 0.5*t[...,1]+0.5*t[...,0]*t[...,2], 1-0.7*t[...,2]], -1)\n\
         colour.write_LUT(lut, r'{}')\n\
         out = lut.apply(np.array({}), interpolator=table_interpolation_trilinear)\n\
         for c in out: print(*c)\n",
        path.display(),
        colours_literal(&colours)
    );
    let theirs = parse_rows(&py(&script));
    let lut = cube::read(Path::new(&path)).unwrap();
    assert_eq!(lut.size, 9);
    let ours: Vec<[f32; 3]> = colours.iter().map(|c| lut.apply(*c)).collect();
    assert_close(&ours, &theirs, 1e-4, "colour-science vs tinct");
}

#[test]
fn opencolorio_applies_our_cdl_like_we_do() {
    let dir = tempfile::tempdir().unwrap();
    let cdl = Cdl {
        slope: [1.1, 0.95, 0.9],
        offset: [0.01, -0.02, 0.03],
        power: [0.9, 1.05, 1.2],
        saturation: 0.85,
    };
    let colours = probe_colours();
    let ours: Vec<[f32; 3]> = colours.iter().map(|c| cdl.apply(*c)).collect();
    for ext in ["cc", "cdl"] {
        let path = dir.path().join(format!("grade.{ext}"));
        cdl.write(&path, "interop", "test").unwrap();
        let script = format!(
            "import PyOpenColorIO as ocio\n\
             cfg = ocio.Config.CreateRaw()\n\
             t = ocio.FileTransform(src=r'{}', cccId='interop')\n\
             cpu = cfg.getProcessor(t).getDefaultCPUProcessor()\n\
             for c in {}:\n    print(*cpu.applyRGB(c))\n",
            path.display(),
            colours_literal(&colours)
        );
        let theirs = parse_rows(&py(&script));
        assert_close(&ours, &theirs, 1e-4, &format!("OCIO .{ext} vs tinct"));
    }
}
