//! The reference as `[reference]` configures it: its clip (an image sequence or a video file,
//! read as it arrived) and the offset that pairs its frames with the source's
//! (reference frame = source frame + offset), from `reference.offset` or, when set,
//! `reference.anchor`.

use super::Project;
use super::config::ReferenceSection;
use crate::media::Clip;
use crate::media::video::Timecode;
use anyhow::Context;

#[derive(Debug)]
pub struct Reference {
    pub clip: Clip,
    /// reference frame = source frame + offset.
    pub offset: i64,
    /// `reference.anchor` as written, when it fixed the offset.
    pub anchor: Option<String>,
}

/// Open the configured reference. Errors name the key.
pub fn open(project: &Project, cfg: &ReferenceSection) -> anyhow::Result<Reference> {
    let clip =
        open_clip(project, cfg).with_context(|| format!("reference.pattern '{}'", cfg.pattern))?;
    let (offset, anchor) = offset(cfg, &clip)?;
    Ok(Reference {
        clip,
        offset,
        anchor,
    })
}

/// The reference's frames (a sequence, or a video read as `[reference]` says).
pub fn open_clip(project: &Project, cfg: &ReferenceSection) -> anyhow::Result<Clip> {
    Clip::open(&project.path(&cfg.pattern), &cfg.video_options()?)
}

/// The offset that pairs `clip` with the source: `reference.anchor` when set (returned as
/// written), else `reference.offset`.
pub fn offset(cfg: &ReferenceSection, clip: &Clip) -> anyhow::Result<(i64, Option<String>)> {
    match cfg.anchor.trim() {
        "" => Ok((cfg.offset, None)),
        a => Ok((
            anchor_offset(clip, a).with_context(|| format!("config key reference.anchor '{a}'"))?,
            Some(a.to_string()),
        )),
    }
}

/// What the right side of an anchor names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorAt {
    Frame(i64),
    Timecode(Timecode),
}

/// `"1001 = 01:00:10:00"` or `"1001 = 38"`: (source frame, what it pairs with).
pub fn parse_anchor(anchor: &str) -> anyhow::Result<(i64, AnchorAt)> {
    let (src, at) = anchor
        .split_once('=')
        .context("expected SOURCE_FRAME = TIMECODE (e.g. \"1001 = 01:00:10:00\")")?;
    let src: i64 = src
        .trim()
        .parse()
        .with_context(|| format!("'{}' is not a source frame number", src.trim()))?;
    let at = at.trim();
    let at = match at.parse::<i64>() {
        Ok(n) => AnchorAt::Frame(n),
        Err(_) => AnchorAt::Timecode(at.parse()?),
    };
    Ok((src, at))
}

/// The offset an anchor states: source frame 1001 is the reference frame at that timecode (or
/// with that number).
pub fn anchor_offset(clip: &Clip, anchor: &str) -> anyhow::Result<i64> {
    let (src, at) = parse_anchor(anchor)?;
    let reference_frame = match (at, clip) {
        (AnchorAt::Frame(n), _) => n,
        (AnchorAt::Timecode(tc), Clip::Video(v)) => v.frame_at(tc)?,
        (AnchorAt::Timecode(_), Clip::Sequence(_)) => anyhow::bail!(
            "the reference is an image sequence, which has no timecode: give its frame number \
             (\"{src} = N\")"
        ),
    };
    Ok(reference_frame - src)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Sequence;

    #[test]
    fn an_anchor_names_a_frame_or_a_timecode() {
        assert_eq!(
            parse_anchor(" 1001 = 38 ").unwrap(),
            (1001, AnchorAt::Frame(38))
        );
        let (src, at) = parse_anchor("1001 = 01:00:10:00").unwrap();
        assert_eq!(src, 1001);
        assert!(matches!(at, AnchorAt::Timecode(tc) if tc.to_string() == "01:00:10:00"));
        for bad in ["1001", "a = 12", "1001 = 1:2"] {
            assert!(parse_anchor(bad).is_err(), "{bad}");
        }
        let seq = Clip::Sequence(Sequence {
            pattern: "r.%04d.exr".into(),
            frames: vec![1, 2, 3],
        });
        assert_eq!(anchor_offset(&seq, "1001 = 3").unwrap(), -998);
        let e = anchor_offset(&seq, "1001 = 01:00:00:00").unwrap_err();
        assert!(e.to_string().contains("has no timecode"), "{e}");
    }
}
