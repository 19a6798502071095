{
  "targets": [
    {
      "target_name": "pg_query_native",
      "sources": ["pg_query_native.c", "fast_append_string_info.c", "prune_inert_nodes.c"],
      "include_dirs": ["vendor/include"],
      "cflags": ["-O2"],
      "libraries": ["<(module_root_dir)/vendor/lib/libpg_query.a"],
      "ldflags": ["-Wl,--exclude-libs,ALL", "-s"]
    }
  ]
}
