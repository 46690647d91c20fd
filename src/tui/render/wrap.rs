//! Word wrap to a pane's width, done once by us so that scrolling can count the lines the
//! operator actually sees (a `Paragraph` that wraps on its own hides how many rows it takes,
//! which is how the newest journal entries fell off the bottom of the view).

use unicode_width::UnicodeWidthStr;

/// `text` broken into rows of at most `width` columns at spaces; a word longer than a row is
/// cut. `indent` is put before every row (it counts towards the width). Empty text gives one
/// empty row.
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let room = width.saturating_sub(indent.width()).max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split(' ') {
        let mut word = word;
        loop {
            let sep = usize::from(!row.is_empty());
            if row.width() + sep + word.width() <= room {
                if sep == 1 {
                    row.push(' ');
                }
                row.push_str(word);
                break;
            }
            if !row.is_empty() {
                rows.push(std::mem::take(&mut row));
                continue;
            }
            // A single word wider than the row: cut it at the row's width.
            let cut = cut_at_width(word, room);
            rows.push(word[..cut].to_string());
            word = &word[cut..];
            if word.is_empty() {
                break;
            }
        }
    }
    rows.push(row);
    rows.into_iter().map(|r| format!("{indent}{r}")).collect()
}

/// The byte index where `s` reaches `cols` columns (at least one character).
fn cut_at_width(s: &str, cols: usize) -> usize {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > cols && i > 0 {
            return i;
        }
        used += w;
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("aa bb cc", 5, ""), vec!["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh", 3, ""), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("aa bb", 6, "  "), vec!["  aa", "  bb"]);
        assert_eq!(wrap("", 10, "  "), vec!["  "]);
    }
}
