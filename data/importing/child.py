"""The parsing child process: `python -m data.importing.child` (see reading.in_child)."""
from data.importing.reading import child_main

if __name__ == "__main__":
    child_main()
