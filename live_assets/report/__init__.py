"""The KPI report: terminal tables and a self-contained HTML page with hand-drawn SVG charts."""
