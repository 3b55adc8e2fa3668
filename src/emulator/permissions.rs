//! Client roles: `webpubsub.<permission>[.<group>]` and wildcard group patterns.

/// Whether one role grants `permission` on `group`: `webpubsub.<permission>` (any group),
/// `webpubsub.<permission>.<group>` (exactly that one), `webpubsub.<permission>s.<pattern>`.
pub fn role_allows(role: &str, permission: &str, group: &str) -> bool {
    let Some(rest) = role
        .strip_prefix("webpubsub.")
        .and_then(|r| r.strip_prefix(permission))
    else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    if let Some(exact) = rest.strip_prefix('.') {
        return exact == group;
    }
    rest.strip_prefix("s.")
        .is_some_and(|pattern| wildcard_matches(pattern, group))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `.`.
    One,
    /// `*`: any run of characters without `.`.
    Star,
    /// `**`: any run of characters.
    DoubleStar,
}

/// Most `*` a wildcard role may hold; longer patterns match nothing.
const MAX_STARS: usize = 5;

/// Matches a group name against a wildcard role pattern (`?`, `*`, `**`, `\` escapes).
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    let mut tokens = Vec::new();
    let mut stars = 0;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => tokens.push(Token::Literal(escaped)),
                // A dangling escape makes the pattern invalid.
                None => return false,
            },
            '?' => tokens.push(Token::One),
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                stars += 2;
                tokens.push(Token::DoubleStar);
            }
            '*' => {
                stars += 1;
                tokens.push(Token::Star);
            }
            c => tokens.push(Token::Literal(c)),
        }
    }
    if stars > MAX_STARS {
        return false;
    }
    let name: Vec<char> = name.chars().collect();
    // reach[j]: the tokens so far can consume exactly name[..j].
    let mut reach = vec![false; name.len() + 1];
    reach[0] = true;
    for token in tokens {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            match token {
                Token::Literal(c) => {
                    if j > 0 && reach[j - 1] && name[j - 1] == c {
                        next[j] = true;
                    }
                }
                Token::One => {
                    if j > 0 && reach[j - 1] && name[j - 1] != '.' {
                        next[j] = true;
                    }
                }
                Token::Star | Token::DoubleStar => {
                    let any = token == Token::DoubleStar;
                    next[j] = reach[j] || (j > 0 && next[j - 1] && (any || name[j - 1] != '.'));
                }
            }
        }
        reach = next;
    }
    reach[name.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_patterns_follow_the_service_rules() {
        assert!(wildcard_matches("room?", "room1"));
        assert!(!wildcard_matches("room?", "room."));
        assert!(!wildcard_matches("room?", "room12"));
        assert!(wildcard_matches("room*", "room"));
        assert!(wildcard_matches("room*", "room-other"));
        assert!(!wildcard_matches("room*", "room.a"));
        assert!(wildcard_matches("room.**", "room.a.b"));
        assert!(wildcard_matches("a*b*c", "axxbyyc"));
        assert!(!wildcard_matches("a*b*c", "axxbyy"));
        assert!(wildcard_matches("lit\\*", "lit*"));
        assert!(!wildcard_matches("lit\\*", "litx"));
        assert!(wildcard_matches("*-*-*-*-*", "a-b-c-d-e"));
        assert!(!wildcard_matches("*-*-*-*-*-*", "a-b-c-d-e-f"));
        assert!(!wildcard_matches("bad\\", "bad\\"));
    }

    #[test]
    fn roles_grant_any_exact_or_pattern() {
        assert!(role_allows("webpubsub.sendToGroup", "sendToGroup", "g"));
        assert!(role_allows("webpubsub.sendToGroup.g", "sendToGroup", "g"));
        assert!(!role_allows("webpubsub.sendToGroup.g", "sendToGroup", "G"));
        assert!(!role_allows(
            "webpubsub.sendToGroup.g",
            "joinLeaveGroup",
            "g"
        ));
        assert!(role_allows(
            "webpubsub.sendToGroups.g*",
            "sendToGroup",
            "g2"
        ));
        assert!(role_allows(
            "webpubsub.joinLeaveGroups.**",
            "joinLeaveGroup",
            "a.b"
        ));
        assert!(!role_allows(
            "webpubsub.joinLeaveGroupsx",
            "joinLeaveGroup",
            "x"
        ));
    }
}
