{
  "targets": [
    {
      "target_name": "mapped_file",
      "sources": ["mapped_file.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "ldflags": ["-s"]
    }
  ]
}
