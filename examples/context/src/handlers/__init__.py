# Marks src/handlers as a Python package, so Lambda can import src.handlers.inspect.
