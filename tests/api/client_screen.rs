//! A terminal, as far as `imgate upload` uses one: it takes the bytes a program wrote to a
//! pseudo-terminal and draws them (printing with automatic wrap at the right edge, `\r`,
//! `\n`, cursor moves, line and screen erases, scrolling); colours and modes are ignored.

/// What the program drew: every row from the first, scrolled-off ones included.
#[derive(Debug, Clone)]
pub struct Screen {
    width: usize,
    height: usize,
    rows: Vec<Vec<char>>,
    /// Rows whose text goes on in the next row because it reached the right edge.
    wrapped: Vec<bool>,
    row: usize,
    col: usize,
    /// The first row on the screen; rows above it have scrolled off.
    top: usize,
    /// Past the last column: the next character goes on the next row.
    pending_wrap: bool,
}

impl Screen {
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            rows: vec![Vec::new()],
            wrapped: vec![false],
            row: 0,
            col: 0,
            top: 0,
            pending_wrap: false,
        }
    }

    /// Draws `text`, calling `look` after every control sequence and line feed (the
    /// moments at which a program's redraw may be half done).
    pub fn feed(&mut self, text: &str, mut look: impl FnMut(&Screen)) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\x1b' => {
                    self.escape(&mut chars);
                    look(self);
                }
                '\r' => {
                    self.col = 0;
                    self.pending_wrap = false;
                }
                '\n' => {
                    self.line_feed();
                    look(self);
                }
                '\x08' => self.col = self.col.saturating_sub(1),
                '\t' => self.col = ((self.col / 8 + 1) * 8).min(self.width - 1),
                c if c < ' ' || c == '\x7f' => {}
                c => self.print(c),
            }
        }
    }

    fn print(&mut self, c: char) {
        if self.pending_wrap {
            self.wrapped[self.row] = true;
            self.line_feed();
            self.col = 0;
        }
        let line = &mut self.rows[self.row];
        if line.len() <= self.col {
            line.resize(self.col + 1, ' ');
        }
        line[self.col] = c;
        if self.col + 1 == self.width {
            self.pending_wrap = true;
        } else {
            self.col += 1;
        }
    }

    fn line_feed(&mut self) {
        self.pending_wrap = false;
        self.row += 1;
        if self.rows.len() <= self.row {
            self.rows.push(Vec::new());
            self.wrapped.push(false);
        }
        if self.row >= self.top + self.height {
            self.top = self.row + 1 - self.height;
        }
    }

    /// `ESC [ params final`, or an OSC string (`ESC ] ... BEL`), or a two-byte escape.
    fn escape(&mut self, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
        match chars.next() {
            Some('[') => {}
            Some(']') => {
                for c in chars.by_ref() {
                    if c == '\x07' || c == '\\' {
                        break;
                    }
                }
                return;
            }
            _ => return,
        }
        let mut params = String::new();
        let mut last = None;
        for c in chars.by_ref() {
            if ('\x40'..='\x7e').contains(&c) {
                last = Some(c);
                break;
            }
            params.push(c);
        }
        let private = params.starts_with('?');
        let numbers: Vec<usize> = params
            .trim_start_matches('?')
            .split(';')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        let n = numbers.first().copied().unwrap_or(0);
        if !private && let Some(command) = last {
            self.control(command, n, &numbers);
        }
    }

    fn control(&mut self, command: char, n: usize, numbers: &[usize]) {
        let count = n.max(1);
        self.pending_wrap = false;
        match command {
            'A' => self.row = self.row.saturating_sub(count).max(self.top),
            'B' => {
                for _ in 0..count.min(self.top + self.height - 1 - self.row) {
                    self.line_feed();
                }
            }
            'C' => self.col = (self.col + count).min(self.width - 1),
            'D' => self.col = self.col.saturating_sub(count),
            'G' => self.col = (count - 1).min(self.width - 1),
            'H' => {
                let row = numbers.first().copied().unwrap_or(1).max(1) - 1;
                let col = numbers.get(1).copied().unwrap_or(1).max(1) - 1;
                self.row = self.top + row.min(self.height - 1);
                while self.rows.len() <= self.row {
                    self.rows.push(Vec::new());
                    self.wrapped.push(false);
                }
                self.col = col.min(self.width - 1);
            }
            'K' => self.erase_in_line(n),
            'J' => {
                self.erase_in_line(if n == 2 { 2 } else { 0 });
                let from = if n == 2 { self.top } else { self.row + 1 };
                for row in from..self.rows.len() {
                    if row != self.row || n == 2 {
                        self.rows[row].clear();
                        self.wrapped[row] = false;
                    }
                }
            }
            _ => {}
        }
    }

    fn erase_in_line(&mut self, mode: usize) {
        let col = self.col;
        let line = &mut self.rows[self.row];
        match mode {
            0 => line.truncate(col),
            1 => line.iter_mut().take(col + 1).for_each(|c| *c = ' '),
            _ => line.clear(),
        }
        if mode != 1 {
            self.wrapped[self.row] = false;
        }
    }

    /// Every row, without trailing blanks.
    pub fn rows(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|r| r.iter().collect::<String>().trim_end().to_owned())
            .collect()
    }

    /// The rows joined where text wrapped at the right edge, without trailing blanks, and
    /// without the blank rows at the end. A row padded with blanks up to the edge (as
    /// progress bars draw lines) ends its line.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for (row, text) in self.rows.iter().enumerate() {
            current.extend(text.iter());
            let goes_on = self.wrapped[row] && text.last().is_some_and(|c| *c != ' ');
            if !goes_on {
                lines.push(current.trim_end().to_owned());
                current.clear();
            }
        }
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }
}

#[test]
fn the_screen_draws_as_a_terminal_does() {
    let mut screen = Screen::new(10, 3);
    screen.feed("one\r\ntwo\r\n0123456789ab\r\nbar 1", |_| {});
    assert_eq!(screen.lines(), ["one", "two", "0123456789ab", "bar 1"]);
    let mut padded = Screen::new(4, 3);
    padded.feed("ab  cd", |_| {});
    assert_eq!(padded.lines(), ["ab", "cd"]);
    // A redraw in place: back to the start of the line, erase it, draw it again.
    screen.feed("\r\x1b[2Kbar 2", |_| {});
    assert_eq!(screen.lines().last().map(String::as_str), Some("bar 2"));
    // Up one row (the screen has scrolled: `one` is off it), overwrite, erase below.
    screen.feed("\x1b[1A\rX\x1b[K\x1b[J", |_| {});
    assert_eq!(screen.rows(), ["one", "two", "0123456789", "X", ""]);
    // Cursor up stops at the top of the screen.
    screen.feed("\x1b[9A\rtop", |_| {});
    assert_eq!(screen.rows()[2], "top3456789");
    // Colours are not text.
    let mut colours = Screen::new(20, 5);
    colours.feed("\x1b[32m✓\x1b[0m done", |_| {});
    assert_eq!(colours.lines(), ["✓ done"]);
}
