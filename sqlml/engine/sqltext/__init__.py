"""SQL text: quoting, bound parameters, positions of errors, SQL type names."""
