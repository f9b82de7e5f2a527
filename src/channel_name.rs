//! The parts of an Asterisk-style channel name (`TECH/peer@context-counter;half`), found in one
//! pass: what the dial plan judges a channel by.
//!
//! Every row has two channels, and each was trimmed and cut twice over: for its base (kept per
//! call and shown in reports), then for its technology and peer (judged by the dial plan),
//! about 400 instructions a channel. Here one trim, one forward search for `/` and `@`, and one
//! backward run over the per-call suffix give all of them. The shape check of import
//! ([`is_shaped`]) runs before a row is taken further, so on its own.

use crate::text::FastTrim;

/// A channel name taken apart. All parts borrow from the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelName<'a> {
    /// The name without surrounding white space.
    pub trimmed: &'a str,
    /// The name without Asterisk's per-call parts: the `-<hex counter>` every channel gets
    /// (`PJSIP/201-0000001a` → `PJSIP/201`, `DAHDI/1-1` → `DAHDI/1`) and a `Local` channel's
    /// `;1`/`;2` half (`Local/201@from-internal-00000a1b;1` → `Local/201@from-internal`). What
    /// remains is the device or trunk: what the dial plan judges and what reports show, and one
    /// string to keep instead of one per call. A name without such a suffix
    /// (`SIP/provider-xyz`) is left whole.
    pub base: &'a str,
    /// The technology: the base before its first `/` (`""` when it has none).
    pub tech: &'a str,
    /// The peer: the base after its first `/` (all of it when there is none), up to the first
    /// `@` (`Local/201@from-internal` → `201`).
    pub peer: &'a str,
}

impl<'a> ChannelName<'a> {
    /// Takes `channel` apart.
    pub fn of(channel: &'a str) -> Self {
        let t = channel.trim_fast();
        let b = t.as_bytes();
        let slash = b.iter().position(|&c| c == b'/');
        // The base: a `;N` half, then a `-<hex>` counter, each only when its run of digits is
        // non-empty and preceded by its separator (the counter also by a `/`). Digits and hex
        // digits are ASCII, so every cut is at a character boundary.
        // Plain loops: the same runs as iterator chains with the byte test passed in cost
        // about 35 instructions more a channel (callgrind).
        let mut end = b.len();
        let mut i = end;
        while i > 0 && b[i - 1].is_ascii_digit() {
            i -= 1;
        }
        if i > 0 && i < end && b[i - 1] == b';' {
            end = i - 1;
        }
        let mut j = end;
        // Asterisk's counter is `-` and eight hex digits on nearly every channel: checked as
        // one fixed run (unrolled, no loop exit to mispredict), where the loop took nine
        // rounds. It stops where the loop would: at the `-`, which is no hex digit.
        if end >= 9
            && b[end - 9] == b'-'
            && b[end - 8..end]
                .iter()
                .fold(true, |hex, c| hex & c.is_ascii_hexdigit())
        {
            j = end - 8;
        } else {
            while j > 0 && b[j - 1].is_ascii_hexdigit() {
                j -= 1;
            }
        }
        if j > 0 && j < end && b[j - 1] == b'-' && slash.is_some_and(|s| s < j - 1) {
            end = j - 1;
        }
        let base = &t[..end];
        // The cut suffixes hold no `/`: the base's first `/` is the name's, when it has one.
        let (tech, rest) = match slash {
            Some(s) if s < end => (&t[..s], &t[s + 1..end]),
            _ => ("", base),
        };
        let peer = match rest.bytes().position(|c| c == b'@') {
            Some(a) => &rest[..a],
            None => rest,
        };
        ChannelName {
            trimmed: t,
            base,
            tech,
            peer,
        }
    }
}

/// True when `channel` is empty or looks like a channel: an ASCII letters-and-digits
/// technology before a `/`. A caller name or a timestamp in a channel field fails: the row's
/// fields were shifted. (Checked before the row is taken further, so on its own.)
pub fn is_shaped(channel: &str) -> bool {
    let t = channel.trim_fast().as_bytes();
    if t.is_empty() {
        return true;
    }
    // One pass up to the `/`: finding it first and checking the bytes before it again cost
    // about 116 instructions a channel.
    for (i, &c) in t.iter().enumerate() {
        if c == b'/' {
            return i > 0;
        }
        if !c.is_ascii_alphanumeric() {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::split_ascii;

    /// The base by its definition in words: drop a `;digits` half, then a `-hexdigits` counter
    /// when a `/` comes before it.
    fn base_reference(channel: &str) -> &str {
        let c = channel.trim_fast();
        let c = match c.rfind(';') {
            Some(i) if i + 1 < c.len() && c[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &c[..i],
            _ => c,
        };
        match c.rfind('-') {
            Some(i)
                if i + 1 < c.len()
                    && c[..i].contains('/')
                    && c[i + 1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                &c[..i]
            }
            _ => c,
        }
    }

    /// What the dial plan and the import computed before, each part on its own.
    fn reference(channel: &str) -> (&str, &str, &str, &str, bool) {
        let t = channel.trim_fast();
        let base = base_reference(channel);
        let (tech, rest) = split_ascii(base, b'/').unwrap_or(("", base));
        let peer = split_ascii(rest, b'@').map_or(rest, |(p, _)| p);
        let shaped = t.is_empty()
            || split_ascii(t, b'/').is_some_and(|(t, _)| {
                !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        (t, base, tech, peer, shaped)
    }

    #[test]
    fn parts_agree_with_their_definitions() {
        // Every string of up to six characters from the characters that matter, and a few
        // whole names.
        let alphabet = ['/', '-', ';', '@', '1', 'a', 'x', 'X', ' ', 'é'];
        let mut words = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..6 {
            last = last
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(last.iter().cloned());
        }
        words.extend(
            [
                "PJSIP/201-0000001a",
                "Local/201@from-internal-00000a1b;1",
                " SIP/my-trunk-0000a1b2 ",
                "DAHDI/1-1",
                "\"Anna\" <201>",
                "2026-03-07 10:00:00",
                "PJSIP/0044@trunk-1;2",
            ]
            .map(String::from),
        );
        // Longer names, around the eight-digit counter: random bytes from the same characters
        // before and after a `-` with seven to nine (hex) digits.
        let mut rng = fastrand::Rng::with_seed(5);
        let pick = |rng: &mut fastrand::Rng, from: &[char], n: usize| -> String {
            (0..n).map(|_| from[rng.usize(..from.len())]).collect()
        };
        let hex = ['0', '9', 'a', 'f', 'F', 'g', '-', ';', '/'];
        for _ in 0..20_000 {
            let (n, m) = (rng.usize(0..6), rng.usize(7..10));
            let head = pick(&mut rng, &alphabet, n);
            let kinds = if rng.bool() { 5 } else { 9 };
            let digits = pick(&mut rng, &hex[..kinds], m);
            let k = rng.usize(0..3) * rng.usize(0..2);
            let tail = pick(&mut rng, &alphabet, k);
            words.push(format!("{head}-{digits}{tail}"));
        }
        for w in &words {
            let c = ChannelName::of(w);
            assert_eq!(
                (c.trimmed, c.base, c.tech, c.peer, is_shaped(w)),
                reference(w),
                "{w:?}"
            );
        }
    }

    #[test]
    fn a_channel_in_parts() {
        let c = ChannelName::of("Local/201@from-internal-00000a1b;1");
        assert_eq!(
            (c.base, c.tech, c.peer),
            ("Local/201@from-internal", "Local", "201")
        );
        assert!(is_shaped(c.trimmed));
        assert!(!is_shaped("\"Anna\" <201>"));
        assert!(!is_shaped("/201"));
        assert!(is_shaped("  "));
    }
}
