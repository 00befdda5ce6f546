//! `http` rule matching, as Dikastes does it (SEMANTICS §2.9; DECISIONS D9): methods OR-ed
//! (exact, case-sensitive, `*` matches any), paths OR-ed (`exact`, or `prefix` on path-segment
//! boundaries) after RFC 3986 dot-segment removal, methods AND paths.

use palisade_policy_model::calico::HttpMatch;

use crate::engine::HttpRequest;

/// True if `path` can be evaluated: it starts with `/` (SEMANTICS appendix A27).
pub fn http_path_is_valid(path: &str) -> bool {
    path.starts_with('/')
}

/// The path without query and fragment, with `.` and `..` segments removed (RFC 3986 §5.2.4).
pub fn normalise_http_path(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => trailing_slash = i == last,
            ".." => {
                out.pop();
                trailing_slash = i == last;
            }
            s => {
                out.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut result = String::with_capacity(path.len());
    for s in &out {
        result.push('/');
        result.push_str(s);
    }
    if trailing_slash || result.is_empty() {
        result.push('/');
    }
    result
}

/// True if `path` starts with `prefix` at a segment boundary.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

/// True if the request satisfies the match. A request that carries neither method nor path
/// matches no `http` rule (DECISIONS D9).
pub(crate) fn http_matches(m: &HttpMatch, request: Option<&HttpRequest>) -> bool {
    let Some(request) = request.filter(|r| r.method.is_some() || r.path.is_some()) else {
        return false;
    };
    if !m.methods.is_empty() {
        let Some(method) = &request.method else {
            return false;
        };
        if !m.methods.iter().any(|x| x == "*" || x == method) {
            return false;
        }
    }
    if !m.paths.is_empty() {
        let Some(path) = request.path.as_deref().filter(|p| http_path_is_valid(p)) else {
            return false;
        };
        let path = normalise_http_path(path);
        let ok = m.paths.iter().any(|p| {
            p.exact.as_deref().is_some_and(|e| e == path)
                || p.prefix
                    .as_deref()
                    .is_some_and(|pre| prefix_matches(pre, &path))
        });
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_removed() {
        assert_eq!(normalise_http_path("/a/./b/../c"), "/a/c");
        assert_eq!(normalise_http_path("/a/b/.."), "/a/");
        assert_eq!(normalise_http_path("/../x?q=1#f"), "/x");
        assert_eq!(normalise_http_path("/"), "/");
    }

    #[test]
    fn prefixes_stop_at_segment_boundaries() {
        assert!(prefix_matches("/foo", "/foo"));
        assert!(prefix_matches("/foo", "/foo/bar"));
        assert!(!prefix_matches("/foo", "/foobar"));
        assert!(prefix_matches("/foo/", "/foo/bar"));
    }
}
