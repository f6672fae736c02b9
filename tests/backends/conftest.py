# The shared fixtures (bundled_gguf, llama_server, scripted_openai) live in
# tests/fixtures_llama.py.  Once tests/conftest.py registers that plugin for the whole
# suite, delete this line: pytest refuses pytest_plugins in a nested conftest when it is
# collected from the root.
pytest_plugins = ["fixtures_llama"]
