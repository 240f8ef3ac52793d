"""pip requirements, PEP 440 specifiers, project names and the import-name table."""
