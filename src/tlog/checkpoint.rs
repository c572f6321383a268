//! C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>), §Note text: at least three
//! non-empty newline-terminated lines — the origin, the tree size in ASCII decimal without
//! leading zeros (`0` for the empty tree), the base64 of the 32-byte RFC 6962 root hash —
//! then optional non-empty extension lines. Base64 is the standard alphabet with padding,
//! and non-canonical encodings are refused (the editor's copy of the spec requires it).
//! The signatures around the text are [`super::note`]'s.

use super::hash::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// A checkpoint's note text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Extension lines, without their newlines.
    pub extensions: Vec<String>,
}

/// Why a checkpoint text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("a checkpoint text ends in a newline")]
    NoFinalNewline,
    #[error("a checkpoint text has at least three lines (origin, size, root hash)")]
    TooFewLines,
    #[error("line {0} of the checkpoint is empty")]
    EmptyLine(usize),
    #[error("the checkpoint contains a control character")]
    ControlCharacter,
    #[error("the tree size {0:?} is not a decimal number without leading zeros")]
    BadSize(String),
    #[error("the root hash {0:?} is not the canonical base64 of 32 bytes")]
    BadRoot(String),
}

/// An ASCII decimal without sign or leading zeros (`0` alone for zero) that fits a `u64`.
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// The canonical standard base64 of exactly 32 bytes.
pub fn parse_hash(s: &str) -> Option<Hash> {
    B64.decode(s).ok()?.try_into().ok()
}

impl Checkpoint {
    pub fn new(origin: &str, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// `origin\nsize\nbase64(root)\n` and each extension line with its newline.
    pub fn to_text(&self) -> String {
        let mut t = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            t.push_str(e);
            t.push('\n');
        }
        t
    }

    /// Reads a checkpoint's note text (the part of the note before the blank line).
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::NoFinalNewline)?;
        if body.chars().any(|c| c < ' ' && c != '\n') {
            return Err(CheckpointError::ControlCharacter);
        }
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(CheckpointError::TooFewLines);
        }
        if let Some(i) = lines.iter().position(|l| l.is_empty()) {
            return Err(CheckpointError::EmptyLine(i + 1));
        }
        let size =
            parse_decimal(lines[1]).ok_or_else(|| CheckpointError::BadSize(lines[1].into()))?;
        let root = parse_hash(lines[2]).ok_or_else(|| CheckpointError::BadRoot(lines[2].into()))?;
        Ok(Checkpoint {
            origin: lines[0].to_string(),
            size,
            root,
            extensions: lines[3..].iter().map(|l| l.to_string()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::note::Note;
    use super::*;

    // The example of c2sp.org/tlog-checkpoint.
    const SPEC: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

    #[test]
    fn spec_example() {
        let note = Note::parse(SPEC).expect("note");
        let c = Checkpoint::parse(&note.text).expect("checkpoint");
        assert_eq!(c.origin, "example.com/behind-the-sofa");
        assert_eq!(c.size, 20852163);
        assert_eq!(
            B64.encode(c.root),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(c.extensions.is_empty());
        assert_eq!(c.to_text(), note.text);
        assert_eq!(note.sigs[0].name, c.origin);
    }

    #[test]
    fn round_trip_with_extensions() {
        let mut c = Checkpoint::new("example.com/log", 0, [7; 32]);
        c.extensions = vec!["ext one".into(), "— two".into()];
        let text = c.to_text();
        assert_eq!(text.lines().count(), 5);
        assert_eq!(Checkpoint::parse(&text), Ok(c.clone()));
        c.size = u64::MAX;
        assert_eq!(Checkpoint::parse(&c.to_text()), Ok(c));
    }

    #[test]
    fn malformed_checkpoints_are_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let ok = format!("o\n5\n{root}\n");
        assert!(Checkpoint::parse(&ok).is_ok());
        for size in [
            "05",
            "00",
            "+5",
            "-1",
            " 5",
            "5 ",
            "",
            "0x5",
            "18446744073709551616",
            "٣",
        ] {
            let t = format!("o\n{size}\n{root}\n");
            let err = Checkpoint::parse(&t).expect_err(size);
            if !size.is_empty() {
                assert_eq!(err, CheckpointError::BadSize(size.into()));
            }
        }
        assert_eq!(
            Checkpoint::parse(&format!("o\n0\n{root}\n")).map(|c| c.size),
            Ok(0)
        );
        let short = B64.encode([1u8; 31]);
        let long = B64.encode([1u8; 33]);
        let noncanonical = root.replace("2I=", "2J=");
        let unpadded = root.trim_end_matches('=').to_string();
        for r in [short, long, noncanonical, unpadded, "!".repeat(44)] {
            assert_eq!(
                Checkpoint::parse(&format!("o\n5\n{r}\n")),
                Err(CheckpointError::BadRoot(r.clone()))
            );
        }
        assert_eq!(
            Checkpoint::parse("o\n5\n"),
            Err(CheckpointError::TooFewLines)
        );
        assert_eq!(
            Checkpoint::parse(&format!("o\n5\n{root}")),
            Err(CheckpointError::NoFinalNewline)
        );
        assert_eq!(
            Checkpoint::parse(&format!("\n5\n{root}\n")),
            Err(CheckpointError::EmptyLine(1))
        );
        assert_eq!(
            Checkpoint::parse(&format!("o\n5\n{root}\n\next\n")),
            Err(CheckpointError::EmptyLine(4))
        );
        assert_eq!(
            Checkpoint::parse(&format!("o\r\n5\n{root}\n")),
            Err(CheckpointError::ControlCharacter)
        );
    }
}
