{
  "variables": {
    "hardening_cflags": [
      "-Wall", "-Wextra", "-Wshadow", "-Wformat-security",
      "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-fvisibility=hidden"
    ],
    "werror%": "0"
  },
  "targets": [
    {
      "target_name": "privsep",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/socket.cc",
        "native/fdpass.cc",
        "native/poll.cc",
        "native/inet.cc",
        "native/sendfile.cc",
        "native/splice.cc",
        "native/cred.cc",
        "native/caps.cc",
        "native/threads.cc",
        "native/rlimit.cc",
        "native/users.cc",
        "native/crypt.cc",
        "native/pam.cc",
        "native/spawn.cc",
        "native/io.cc",
        "native/stat.cc",
        "native/memory.cc",
        "native/sched.cc"
      ],
      "libraries": ["-lcrypt", "-ldl"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NAPI_DISABLE_CPP_EXCEPTIONS"
      ],
      "cflags": ["<@(hardening_cflags)", "-O2"],
      "cflags_cc": [
        "<@(hardening_cflags)", "-O2", "-std=c++17",
        "-isystem", "<!(node -p \"require('path').resolve(require('node-addon-api').include_dir)\")"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "ldflags": ["-Wl,-z,relro,-z,now"],
      "conditions": [
        ["werror==1", { "cflags_cc": ["-Werror"], "cflags": ["-Werror"] }]
      ]
    },
    {
      "target_name": "openfile",
      "type": "executable",
      "sources": ["examples/mycat/openfile.c"],
      "cflags": ["<@(hardening_cflags)", "-O2", "-std=c11", "-fPIE"],
      "ldflags": ["-pie", "-Wl,-z,relro,-z,now"],
      "conditions": [
        ["werror==1", { "cflags": ["-Werror"] }]
      ]
    }
  ]
}
