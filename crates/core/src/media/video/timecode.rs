//! SMPTE timecode: `HH:MM:SS:FF`, or `HH:MM:SS;FF` for drop-frame (29.97 and 59.94 fps), where
//! frame numbers 0 and 1 (0-3 at 59.94) are skipped at the start of every minute except each
//! tenth so the count keeps pace with the wall clock.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timecode {
    pub hours: u32,
    pub minutes: u32,
    pub seconds: u32,
    pub frames: u32,
    pub drop_frame: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a timecode (HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame)")]
pub struct BadTimecode(pub String);

impl FromStr for Timecode {
    type Err = BadTimecode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || BadTimecode(s.to_string());
        let parts: Vec<&str> = t.split([':', ';', '.']).collect();
        if parts.len() != 4 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
            return Err(bad());
        }
        let n: Vec<u32> = parts
            .iter()
            .map(|p| p.parse::<u32>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        if n[1] > 59 || n[2] > 59 {
            return Err(bad());
        }
        Ok(Timecode {
            hours: n[0],
            minutes: n[1],
            seconds: n[2],
            frames: n[3],
            // The separator before the frames says drop-frame (`;` or `.`), as SMPTE 12M writes it.
            drop_frame: t[..t.len() - parts[3].len()].ends_with([';', '.']),
        })
    }
}

impl fmt::Display for Timecode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.drop_frame { ';' } else { ':' };
        write!(
            f,
            "{:02}:{:02}:{:02}{sep}{:02}",
            self.hours, self.minutes, self.seconds, self.frames
        )
    }
}

/// Frame numbers dropped per minute at a nominal rate (drop-frame only exists at 30 and 60).
fn dropped_per_minute(nominal_fps: u32) -> i64 {
    (nominal_fps as i64 / 15).max(0)
}

impl Timecode {
    /// Frames since 00:00:00:00 at `nominal_fps` (30 for 29.97, 24 for 23.976, 25 ...).
    pub fn to_frames(self, nominal_fps: u32) -> i64 {
        let fps = nominal_fps as i64;
        let total_minutes = 60 * self.hours as i64 + self.minutes as i64;
        let plain = (3600 * self.hours as i64 + 60 * self.minutes as i64 + self.seconds as i64)
            * fps
            + self.frames as i64;
        if self.drop_frame {
            plain - dropped_per_minute(nominal_fps) * (total_minutes - total_minutes / 10)
        } else {
            plain
        }
    }

    /// The timecode `n` frames after 00:00:00:00.
    pub fn from_frames(n: i64, nominal_fps: u32, drop_frame: bool) -> Timecode {
        let fps = nominal_fps.max(1) as i64;
        let mut n = n.max(0);
        let d = dropped_per_minute(nominal_fps);
        if drop_frame && d > 0 {
            let per_10min = fps * 600 - 9 * d;
            let per_min = fps * 60 - d;
            let (tens, rem) = (n / per_10min, n % per_10min);
            n += 9 * d * tens;
            if rem > d {
                n += d * ((rem - d) / per_min);
            }
        }
        Timecode {
            hours: (n / (fps * 3600)) as u32,
            minutes: ((n / (fps * 60)) % 60) as u32,
            seconds: ((n / fps) % 60) as u32,
            frames: (n % fps) as u32,
            drop_frame: drop_frame && d > 0,
        }
    }

    /// This timecode `k` frames later.
    pub fn add_frames(self, k: i64, nominal_fps: u32) -> Timecode {
        Timecode::from_frames(
            self.to_frames(nominal_fps) + k,
            nominal_fps,
            self.drop_frame,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_drop_counts_every_frame() {
        let tc: Timecode = "01:00:10:00".parse().unwrap();
        assert_eq!(tc.to_frames(24), (3600 + 10) * 24);
        assert_eq!(
            Timecode::from_frames(tc.to_frames(24) + 5, 24, false).to_string(),
            "01:00:10:05"
        );
        assert_eq!(tc.add_frames(-1, 25).to_string(), "01:00:09:24");
    }

    #[test]
    fn drop_frame_skips_two_numbers_a_minute_but_not_each_tenth() {
        let a: Timecode = "00:00:59;29".parse().unwrap();
        assert!(a.drop_frame);
        // The frame after 00:00:59;29 is 00:01:00;02 (;00 and ;01 do not exist).
        assert_eq!(a.add_frames(1, 30).to_string(), "00:01:00;02");
        let b: Timecode = "00:09:59;29".parse().unwrap();
        assert_eq!(b.add_frames(1, 30).to_string(), "00:10:00;00");
        // One hour of drop-frame timecode is 107892 frames (29.97 x 3600 rounded), the point of it.
        assert_eq!(
            "01:00:00;00".parse::<Timecode>().unwrap().to_frames(30),
            107_892
        );
        for n in [0, 1, 1799, 1800, 17_981, 17_982, 107_891, 500_000] {
            assert_eq!(
                Timecode::from_frames(n, 30, true).to_frames(30),
                n,
                "frame {n}"
            );
        }
    }

    #[test]
    fn junk_is_refused_with_the_text() {
        for s in ["", "1:2:3", "01:61:00:00", "aa:00:00:00", "01:00:00:000"] {
            let e = s.parse::<Timecode>().unwrap_err();
            assert!(e.to_string().contains(&format!("'{s}'")));
        }
    }
}
