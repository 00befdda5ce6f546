//! Reading flows: `--flow` arguments (the text form) or a stream of lines (`--flows FILE`, `-`
//! for stdin), read one line at a time.
//!
//! A line is a JSON object (`{"src": "x/a", "dst": "10.0.1.2", "protocol": "TCP", "dstPort":
//! 80}`) or, when it does not start with `{`, the text form (`x/a -> 10.0.1.2 tcp/80`). Blank
//! lines and lines starting with `#` are skipped. A line that cannot be read or parsed is an
//! item with its error and line number; reading goes on with the next line.

use std::io::BufRead;

use palisade_compiler::flow::Flow;

/// A flow read from the input, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFlow {
    /// The line number (for `--flow`, the argument's position), 1-based.
    pub line: usize,
    /// The flow, or the error message.
    pub flow: Result<Flow, String>,
}

/// Parses one line: JSON when it starts with `{`, else the text form.
pub fn parse_flow_line(text: &str) -> Result<Flow, String> {
    let text = text.trim();
    if text.starts_with('{') {
        Flow::from_json(text).map_err(|e| e.to_string())
    } else {
        Flow::parse(text).map_err(|e| e.to_string())
    }
}

/// The flows of `--flow` arguments, numbered from 1.
pub fn from_args(args: &[String]) -> impl Iterator<Item = InputFlow> + '_ {
    args.iter().enumerate().map(|(i, text)| InputFlow {
        line: i + 1,
        flow: Flow::parse(text).map_err(|e| e.to_string()),
    })
}

/// Streams the flows of a reader, line by line (see the module docs).
#[derive(Debug)]
pub struct FlowLines<R> {
    reader: R,
    line: usize,
    buffer: Vec<u8>,
    done: bool,
}

impl<R: BufRead> FlowLines<R> {
    /// Reads flows from `reader`.
    pub fn new(reader: R) -> FlowLines<R> {
        FlowLines {
            reader,
            line: 0,
            buffer: Vec::with_capacity(256),
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for FlowLines<R> {
    type Item = InputFlow;

    fn next(&mut self) -> Option<InputFlow> {
        while !self.done {
            self.buffer.clear();
            self.line += 1;
            match self.reader.read_until(b'\n', &mut self.buffer) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    let flow = match std::str::from_utf8(&self.buffer) {
                        Err(e) => Err(format!("the line is not UTF-8 text ({e})")),
                        Ok(text) => {
                            let text = text.trim();
                            if text.is_empty() || text.starts_with('#') {
                                continue;
                            }
                            parse_flow_line(text)
                        }
                    };
                    return Some(InputFlow {
                        line: self.line,
                        flow,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => self.line -= 1,
                Err(e) => {
                    self.done = true;
                    return Some(InputFlow {
                        line: self.line,
                        flow: Err(format!("cannot read the input: {e}")),
                    });
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_and_comments_skipped() {
        let input = b"# a comment\n\n{\"src\":\"a/b\",\"dst\":\"10.0.0.1\",\"protocol\":\"TCP\",\"dstPort\":80}\nnot a flow\n\xff\xfe\na/b -> c/d udp/53";
        let items: Vec<InputFlow> = FlowLines::new(&input[..]).collect();
        let lines: Vec<usize> = items.iter().map(|i| i.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);
        assert!(items[0].flow.is_ok());
        assert!(items[1].flow.is_err());
        assert!(
            items[2]
                .flow
                .as_ref()
                .is_err_and(|e| e.contains("not UTF-8"))
        );
        assert_eq!(
            items[3].flow.as_ref().map(|f| f.dst_port).ok(),
            Some(Some(53))
        );
    }

    #[test]
    fn json_lines_take_protocol_names_or_numbers() {
        let by_name =
            parse_flow_line(r#"{"src":"a/b","dst":"c/d","protocol":"UDPLite","dstPort":7}"#);
        let by_number = parse_flow_line(r#"{"src":"a/b","dst":"c/d","protocol":136,"dstPort":7}"#);
        assert_eq!(by_name, by_number);
        assert!(by_name.is_ok());
    }
}
