{
  "targets": [
    {
      "target_name": "faxswitch_spandsp",
      "sources": ["src/addon.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "libraries": ["-lspandsp", "-ltiff"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
