"""The benchmarks: scripts (`python bench/<name>.py`) that print a table and compare each part
with the library it wraps, called directly in the same run. A package only so the import
contracts can check which parts they reach."""
