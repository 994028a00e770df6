"""The page machinery: blocks and HTML, sections in registry order, the comparison."""
