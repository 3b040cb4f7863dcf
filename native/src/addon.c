/*
 * faxswitch's thin N-API binding to SpanDSP 0.0.6 (Debian libspandsp-dev). It exposes opaque
 * session handles (T.38 terminal, audio terminal, T.38<->audio gateway, connect-tone detector),
 * synchronous calls, and events delivered through one JS callback per session, invoked
 * synchronously from inside the call that triggered them. No threads, no async work, no policy:
 * pacing, UDPTL, RTP and error mapping live in TypeScript (src/fax, src/media).
 * A receiving terminal keeps the rows of each page SpanDSP decoded (its row-write hook) instead of
 * letting SpanDSP encode and write them to its TIFF file inside the media tick; the file is
 * written by a TIFF writer (libtiff) on libuv's thread pool instead.
 * One call has nothing to do with SpanDSP: it asks the kernel for a shorter scheduler slice for the
 * calling (media) thread, which Node cannot do by itself.
 */
#define _GNU_SOURCE /* syscall() */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <tiffio.h>
#include <spandsp.h>
/* The row-write hook has to be set on the T.4 state inside the T.30 state, after T.30 has
 * initialised it: that needs SpanDSP's structure definitions. */
#include <spandsp/expose.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, NULL, "faxswitch_spandsp: N-API call failed: " #call);                \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

enum session_kind { KIND_T38_TERMINAL = 1, KIND_AUDIO_TERMINAL, KIND_GATEWAY, KIND_TONE_DETECTOR };

/* Event names, made once per JS context: events fire for every IFP a channel sends. */
enum event_name { EVENT_IFP, EVENT_PHASE_B, EVENT_PHASE_D, EVENT_PHASE_E, EVENT_FRAME, EVENT_TONE, EVENT_COUNT };
static const char *const EVENT_NAMES[EVENT_COUNT] = {"ifp", "phaseB", "phaseD", "phaseE", "frame", "tone"};

typedef struct {
  napi_ref names; /* an array of the names (N-API 8 cannot reference a string itself) */
} module_data_t;

/* SpanDSP's T.38 core builds IFPs in buffers of at most 1000 bytes (t38_core.c). */
#define IFP_SCRATCH_BYTES 1024

/* OPERATION_IN_PROGRESS_T4_RX of the private enum in SpanDSP 0.0.6's t30.c: T.30 has initialised
 * its T.4 receive state. */
#define SPANDSP_OPERATION_T4_RX 1

/* The rows of the page SpanDSP decoded last: 1 bit per pixel, MSB first, 1 = black. */
typedef struct {
  uint8_t *rows;
  size_t size;
  size_t capacity;
  size_t row_bytes;
  uint32_t height;
  bool complete; /* SpanDSP ended the page; the next row starts a new one */
} rx_page_t;

typedef struct {
  napi_env env; /* valid only while a call from JS is on the stack */
  napi_ref callback;
  bool in_call;
  t38_terminal_state_t *t38;
  fax_state_t *fax;
  t38_gateway_state_t *gateway;
  modem_connect_tones_rx_state_t *tones;
  t30_state_t *t30;      /* borrowed from t38 or fax */
  t38_core_state_t *core; /* borrowed from t38 or gateway */
  /* IFPs reach JS as views of this one buffer, valid during the callback, instead of a new
   * ArrayBuffer per packet. */
  napi_ref ifp_buffer;
  uint8_t *ifp_data;
  bool receiving; /* configured with an rx file */
  rx_page_t rx_page;
} session_t;

/* ---------- helpers ---------- */

static void set_int(napi_env env, napi_value obj, const char *key, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_bool(napi_env env, napi_value obj, const char *key, bool value) {
  napi_value v;
  napi_get_boolean(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_str(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value ? value : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

/* Calls the session's JS callback as callback(name, payload[, extra]). An exception thrown by the
 * callback stays pending and surfaces from the N-API call that is on the stack. */
static void emit(session_t *s, enum event_name event, napi_value payload, napi_value extra) {
  napi_env env = s->env;
  if (!s->in_call || env == NULL || s->callback == NULL) return;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  module_data_t *module = NULL;
  napi_value fn, global, argv[3], result;
  if (napi_get_instance_data(env, (void **) &module) != napi_ok || module == NULL) return;
  if (napi_get_reference_value(env, s->callback, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &global);
  napi_value names;
  napi_get_reference_value(env, module->names, &names);
  napi_get_element(env, names, (uint32_t) event, &argv[0]);
  argv[1] = payload;
  if (extra != NULL) {
    argv[2] = extra;
  } else {
    napi_get_undefined(env, &argv[2]);
  }
  napi_call_function(env, global, fn, 3, argv, &result);
}

static napi_value stats_object(napi_env env, t30_state_t *t30) {
  t30_stats_t st;
  napi_value obj;
  memset(&st, 0, sizeof(st));
  t30_get_transfer_statistics(t30, &st);
  napi_create_object(env, &obj);
  set_int(env, obj, "bitRate", st.bit_rate);
  set_bool(env, obj, "ecm", st.error_correcting_mode != 0);
  set_int(env, obj, "pagesTx", st.pages_tx);
  set_int(env, obj, "pagesRx", st.pages_rx);
  set_int(env, obj, "pagesInFile", st.pages_in_file);
  set_int(env, obj, "xResolution", st.x_resolution);
  set_int(env, obj, "yResolution", st.y_resolution);
  set_int(env, obj, "width", st.width);
  set_int(env, obj, "length", st.length);
  set_int(env, obj, "imageSize", st.image_size);
  set_int(env, obj, "encoding", st.encoding);
  set_int(env, obj, "badRows", st.bad_rows);
  set_int(env, obj, "longestBadRowRun", st.longest_bad_row_run);
  set_int(env, obj, "ecmRetries", st.error_correcting_mode_retries);
  set_int(env, obj, "currentStatus", st.current_status);
  set_str(env, obj, "remoteIdent", t30_get_rx_ident(t30));
  return obj;
}

static session_t *get_session(napi_env env, napi_value value) {
  session_t *s = NULL;
  if (napi_get_value_external(env, value, (void **) &s) != napi_ok || s == NULL) {
    napi_throw_type_error(env, NULL, "faxswitch_spandsp: expected a session handle");
    return NULL;
  }
  if (s->t38 == NULL && s->fax == NULL && s->gateway == NULL && s->tones == NULL) {
    napi_throw_error(env, "ERR_FAX_RELEASED", "faxswitch_spandsp: session already released");
    return NULL;
  }
  return s;
}

/* Every entry point brackets its work with enter/leave so callbacks see a valid env and a
 * re-entrant call into the same session (from inside its own callback) is refused. */
static bool enter(napi_env env, session_t *s) {
  if (s->in_call) {
    napi_throw_error(env, "ERR_FAX_REENTRANT", "faxswitch_spandsp: re-entrant call into a session");
    return false;
  }
  s->env = env;
  s->in_call = true;
  return true;
}

static void leave(session_t *s) {
  s->in_call = false;
  s->env = NULL;
}

static void free_rx_page(session_t *s) {
  free(s->rx_page.rows);
  memset(&s->rx_page, 0, sizeof(s->rx_page));
}

static void free_engine(session_t *s) {
  free_rx_page(s);
  if (s->t38) t38_terminal_free(s->t38);
  if (s->fax) fax_free(s->fax);
  if (s->gateway) t38_gateway_free(s->gateway);
  if (s->tones) modem_connect_tones_rx_free(s->tones);
  s->t38 = NULL;
  s->fax = NULL;
  s->gateway = NULL;
  s->tones = NULL;
  s->t30 = NULL;
  s->core = NULL;
}

static void finalize_session(napi_env env, void *data, void *hint) {
  session_t *s = data;
  free_engine(s);
  if (s->callback) napi_delete_reference(env, s->callback);
  if (s->ifp_buffer) napi_delete_reference(env, s->ifp_buffer);
  free(s);
}

/* ---------- SpanDSP callbacks ---------- */

static int on_tx_packet(t38_core_state_t *core, void *user, const uint8_t *buf, int len, int count) {
  session_t *s = user;
  if (!s->in_call || len < 0 || len > IFP_SCRATCH_BYTES) return -1;
  napi_env env = s->env;
  napi_value arraybuffer, bytes, repeat;
  if (s->ifp_buffer == NULL) {
    if (napi_create_arraybuffer(env, IFP_SCRATCH_BYTES, (void **) &s->ifp_data, &arraybuffer) != napi_ok ||
        napi_create_reference(env, arraybuffer, 1, &s->ifp_buffer) != napi_ok)
      return -1;
  } else if (napi_get_reference_value(env, s->ifp_buffer, &arraybuffer) != napi_ok) {
    return -1;
  }
  if (len > 0) memcpy(s->ifp_data, buf, (size_t) len);
  napi_create_typedarray(env, napi_uint8_array, (size_t) len, arraybuffer, 0, &bytes);
  napi_create_int32(env, count, &repeat);
  emit(s, EVENT_IFP, bytes, repeat);
  return 0;
}

static int on_phase_b(t30_state_t *t30, void *user, int result) {
  session_t *s = user;
  if (!s->in_call) return T30_ERR_OK;
  napi_value obj = stats_object(s->env, t30);
  set_int(s->env, obj, "frame", result);
  set_str(s->env, obj, "remoteVendor", t30_get_rx_vendor(t30));
  set_str(s->env, obj, "remoteModel", t30_get_rx_model(t30));
  emit(s, EVENT_PHASE_B, obj, NULL);
  return T30_ERR_OK;
}

static int on_phase_d(t30_state_t *t30, void *user, int result) {
  session_t *s = user;
  if (!s->in_call) return T30_ERR_OK;
  napi_value obj = stats_object(s->env, t30);
  set_int(s->env, obj, "frame", result);
  set_str(s->env, obj, "frameName", t30_frametype((uint8_t) result));
  emit(s, EVENT_PHASE_D, obj, NULL);
  return T30_ERR_OK;
}

static void on_phase_e(t30_state_t *t30, void *user, int completion_code) {
  session_t *s = user;
  if (!s->in_call) return;
  napi_value obj = stats_object(s->env, t30);
  set_int(s->env, obj, "code", completion_code);
  set_str(s->env, obj, "text", t30_completion_code_to_str(completion_code));
  emit(s, EVENT_PHASE_E, obj, NULL);
}

/* SpanDSP's row-write hook: called at the end of a received page with every row, then with NULL. */
static int capture_row(void *user, const uint8_t buf[], size_t len) {
  rx_page_t *page = &((session_t *) user)->rx_page;
  if (page->complete) {
    page->size = 0;
    page->height = 0;
    page->complete = false;
  }
  if (buf == NULL) {
    page->complete = true;
    return 0;
  }
  if (page->size + len > page->capacity) {
    size_t capacity = page->capacity ? page->capacity * 2 : 256 * 1024;
    while (capacity < page->size + len) capacity *= 2;
    uint8_t *rows = realloc(page->rows, capacity);
    if (rows == NULL) return -1;
    page->rows = rows;
    page->capacity = capacity;
  }
  memcpy(page->rows + page->size, buf, len);
  page->size += len;
  page->row_bytes = len;
  page->height++;
  return 0;
}

/* t4_rx_init (called by T.30 when a document starts) clears the hook, and T.30 calls t4_rx_end_page
 * without a callback in between only after frames have been exchanged, so every frame re-checks it. */
static void capture_rx_rows(session_t *s) {
  if (!s->receiving || s->t30 == NULL || s->t30->operation_in_progress != SPANDSP_OPERATION_T4_RX) return;
  if (s->t30->t4.rx.t4_t6_rx.row_write_handler != capture_row)
    t4_rx_set_row_write_handler(&s->t30->t4.rx, capture_row, s);
}

/* Every T.30 control frame (not ECM image frames) as it goes out or comes in: the engine uses it to
 * see the moment a receiver confirms a page (MCF) rather than the moment the page ended. */
static void on_frame(t30_state_t *t30, void *user, int direction, const uint8_t msg[], int len) {
  session_t *s = user;
  capture_rx_rows(s);
  if (!s->in_call || len < 3) return;
  /* ECM image frames and their terminators are hundreds per page and say nothing about pages. */
  if ((msg[2] & 0xFE) == T4_FCD || (msg[2] & 0xFE) == T4_RCP) return;
  napi_value obj;
  napi_create_object(s->env, &obj);
  set_bool(s->env, obj, "incoming", direction != 0);
  set_int(s->env, obj, "fcf", msg[2] & 0xFE);
  set_int(s->env, obj, "fcf2", len > 3 ? msg[3] & 0xFE : -1);
  emit(s, EVENT_FRAME, obj, NULL);
}

static void on_tone(void *user, int code, int level, int delay) {
  session_t *s = user;
  if (!s->in_call) return;
  napi_value obj;
  napi_create_object(s->env, &obj);
  set_int(s->env, obj, "tone", code);
  set_str(s->env, obj, "name", modem_connect_tone_to_str(code));
  set_int(s->env, obj, "level", level);
  set_int(s->env, obj, "delay", delay);
  emit(s, EVENT_TONE, obj, NULL);
}

/* ---------- construction ---------- */

static session_t *new_session(napi_env env, napi_value callback) {
  napi_valuetype type;
  if (napi_typeof(env, callback, &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "faxswitch_spandsp: the event callback must be a function");
    return NULL;
  }
  session_t *s = calloc(1, sizeof(session_t));
  if (s == NULL) {
    napi_throw_error(env, NULL, "faxswitch_spandsp: out of memory");
    return NULL;
  }
  napi_create_reference(env, callback, 1, &s->callback);
  return s;
}

static napi_value wrap_session(napi_env env, session_t *s) {
  napi_value handle;
  if (napi_create_external(env, s, finalize_session, NULL, &handle) != napi_ok) {
    free_engine(s);
    napi_delete_reference(env, s->callback);
    free(s);
    napi_throw_error(env, NULL, "faxswitch_spandsp: cannot create a handle");
    return NULL;
  }
  return handle;
}

static void attach_t30(session_t *s) {
  t30_set_phase_b_handler(s->t30, on_phase_b, s);
  t30_set_phase_d_handler(s->t30, on_phase_d, s);
  t30_set_phase_e_handler(s->t30, on_phase_e, s);
  t30_set_real_time_frame_handler(s->t30, on_frame, s);
}

/* One constructor for every session kind. Terminals take (calling: boolean, onEvent), the tone
 * detector (toneType: number, onEvent), the gateway (onEvent) only. */
static napi_value create_session(napi_env env, napi_callback_info info, enum session_kind kind) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t arg = 0;
  bool has_arg = kind != KIND_GATEWAY;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (kind == KIND_TONE_DETECTOR) {
    CHECK(napi_get_value_int32(env, argv[0], &arg));
  } else if (has_arg) {
    bool calling = false;
    CHECK(napi_get_value_bool(env, argv[0], &calling));
    arg = calling;
  }
  session_t *s = new_session(env, argv[has_arg ? 1 : 0]);
  if (s == NULL) return NULL;
  const char *failed = NULL;
  switch (kind) {
  case KIND_T38_TERMINAL:
    s->t38 = t38_terminal_init(NULL, arg, on_tx_packet, s);
    if (s->t38 == NULL) failed = "t38_terminal_init failed";
    else {
      s->t30 = t38_terminal_get_t30_state(s->t38);
      s->core = t38_terminal_get_t38_core_state(s->t38);
    }
    break;
  case KIND_AUDIO_TERMINAL:
    s->fax = fax_init(NULL, arg);
    if (s->fax == NULL) failed = "fax_init failed";
    else {
      /* Keep sending silence between signals so the RTP stream never stalls. */
      fax_set_transmit_on_idle(s->fax, true);
      s->t30 = fax_get_t30_state(s->fax);
    }
    break;
  case KIND_GATEWAY:
    s->gateway = t38_gateway_init(NULL, on_tx_packet, s);
    if (s->gateway == NULL) failed = "t38_gateway_init failed";
    else {
      t38_gateway_set_transmit_on_idle(s->gateway, true);
      s->core = t38_gateway_get_t38_core_state(s->gateway);
    }
    break;
  case KIND_TONE_DETECTOR:
    s->tones = modem_connect_tones_rx_init(NULL, arg, on_tone, s);
    if (s->tones == NULL) failed = "modem_connect_tones_rx_init failed";
    break;
  }
  if (failed != NULL) {
    napi_delete_reference(env, s->callback);
    free(s);
    napi_throw_error(env, NULL, failed);
    return NULL;
  }
  if (s->t30 != NULL) attach_t30(s);
  return wrap_session(env, s);
}

static napi_value create_t38_terminal(napi_env env, napi_callback_info info) {
  return create_session(env, info, KIND_T38_TERMINAL);
}

static napi_value create_audio_terminal(napi_env env, napi_callback_info info) {
  return create_session(env, info, KIND_AUDIO_TERMINAL);
}

static napi_value create_gateway(napi_env env, napi_callback_info info) {
  return create_session(env, info, KIND_GATEWAY);
}

static napi_value create_tone_detector(napi_env env, napi_callback_info info) {
  return create_session(env, info, KIND_TONE_DETECTOR);
}

/* ---------- configuration ---------- */

static bool get_opt_int(napi_env env, napi_value obj, const char *key, int32_t *out) {
  bool has = false;
  napi_value v;
  napi_valuetype type;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return false;
  napi_get_named_property(env, obj, key, &v);
  napi_typeof(env, v, &type);
  if (type == napi_boolean) {
    bool b;
    napi_get_value_bool(env, v, &b);
    *out = b ? 1 : 0;
    return true;
  }
  if (type != napi_number) return false;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* Copies a string option into buf; false when absent or not a string. */
static bool get_opt_str(napi_env env, napi_value obj, const char *key, char *buf, size_t size) {
  bool has = false;
  napi_value v;
  napi_valuetype type;
  size_t len;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return false;
  napi_get_named_property(env, obj, key, &v);
  napi_typeof(env, v, &type);
  if (type != napi_string) return false;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok;
}

/* configure(handle, options): every option is optional; the TypeScript wrapper validates them.
 * T.30: ecm, modems, compressions, resolutions, imageSizes, ident, pageHeaderInfo,
 *       txFile + txStartPage + txStopPage, rxFile + rxStopPage.
 * T.38: t38Version, maxDatagram, fastestImageDataRate, fillBitRemoval, tep, terminalConfig,
 *       rateManagement (1 local TCF, 2 transferred TCF). */
static napi_value configure(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char text[4096];
  int32_t n = 0, start = -1, stop = -1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL) return NULL;
  napi_value o = argv[1];

  if (s->t30 != NULL) {
    if (get_opt_int(env, o, "ecm", &n)) t30_set_ecm_capability(s->t30, n);
    if (get_opt_int(env, o, "modems", &n)) t30_set_supported_modems(s->t30, n);
    if (get_opt_int(env, o, "compressions", &n)) t30_set_supported_compressions(s->t30, n);
    if (get_opt_int(env, o, "resolutions", &n)) t30_set_supported_resolutions(s->t30, n);
    if (get_opt_int(env, o, "imageSizes", &n)) t30_set_supported_image_sizes(s->t30, n);
    if (get_opt_str(env, o, "ident", text, 21)) t30_set_tx_ident(s->t30, text);
    if (get_opt_str(env, o, "pageHeaderInfo", text, 51)) t30_set_tx_page_header_info(s->t30, text);
    if (get_opt_str(env, o, "txFile", text, sizeof(text))) {
      get_opt_int(env, o, "txStartPage", &start);
      get_opt_int(env, o, "txStopPage", &stop);
      t30_set_tx_file(s->t30, text, start, stop);
    }
    if (get_opt_str(env, o, "rxFile", text, sizeof(text))) {
      stop = -1;
      get_opt_int(env, o, "rxStopPage", &stop);
      t30_set_rx_file(s->t30, text, stop);
      s->receiving = true;
    }
  }
  if (s->gateway != NULL) {
    if (get_opt_int(env, o, "ecm", &n)) t38_gateway_set_ecm_capability(s->gateway, n);
    if (get_opt_int(env, o, "modems", &n)) t38_gateway_set_supported_modems(s->gateway, n);
    if (get_opt_int(env, o, "fillBitRemoval", &n)) t38_gateway_set_fill_bit_removal(s->gateway, n);
    if (get_opt_int(env, o, "tep", &n)) t38_gateway_set_tep_mode(s->gateway, n);
  }
  if (s->t38 != NULL) {
    if (get_opt_int(env, o, "fillBitRemoval", &n)) t38_terminal_set_fill_bit_removal(s->t38, n);
    if (get_opt_int(env, o, "tep", &n)) t38_terminal_set_tep_mode(s->t38, n);
    if (get_opt_int(env, o, "terminalConfig", &n)) t38_terminal_set_config(s->t38, n);
  }
  if (s->fax != NULL) {
    if (get_opt_int(env, o, "tep", &n)) fax_set_tep_mode(s->fax, n);
  }
  if (s->core != NULL) {
    if (get_opt_int(env, o, "t38Version", &n)) t38_set_t38_version(s->core, n);
    if (get_opt_int(env, o, "maxDatagram", &n)) t38_set_max_datagram_size(s->core, n);
    if (get_opt_int(env, o, "maxBuffer", &n)) t38_set_max_buffer_size(s->core, n);
    if (get_opt_int(env, o, "fastestImageDataRate", &n)) t38_set_fastest_image_data_rate(s->core, n);
    if (get_opt_int(env, o, "rateManagement", &n)) t38_set_data_rate_management_method(s->core, n);
    if (get_opt_int(env, o, "mmrTranscoding", &n)) t38_set_mmr_transcoding(s->core, n);
    if (get_opt_int(env, o, "jbigTranscoding", &n)) t38_set_jbig_transcoding(s->core, n);
  }
  return NULL;
}

/* ---------- media calls ---------- */

/* t38RxIfp(handle, Uint8Array ifp, seq) -> SpanDSP's result (0 ok, -1 bad packet) */
static napi_value t38_rx_ifp(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  napi_typedarray_type type;
  size_t length;
  void *data;
  uint32_t seq;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->core == NULL) {
    napi_throw_error(env, NULL, "faxswitch_spandsp: session has no T.38 side");
    return NULL;
  }
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  CHECK(napi_get_value_uint32(env, argv[2], &seq));
  if (type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "faxswitch_spandsp: IFP must be a Uint8Array");
    return NULL;
  }
  if (!enter(env, s)) return NULL;
  int rc = t38_core_rx_ifp_packet(s->core, data, (int) length, (uint16_t) (seq & 0xFFFF));
  leave(s);
  napi_create_int32(env, rc, &result);
  return result;
}

/* t38SendTimeout(handle, samples) -> true once the terminal has finished */
static napi_value t38_send_timeout(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int32_t samples;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->t38 == NULL) {
    napi_throw_error(env, NULL, "faxswitch_spandsp: not a T.38 terminal");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[1], &samples));
  if (!enter(env, s)) return NULL;
  int done = t38_terminal_send_timeout(s->t38, samples);
  leave(s);
  napi_get_boolean(env, done != 0, &result);
  return result;
}

static bool get_samples(napi_env env, napi_value value, int16_t **samples, size_t *length) {
  napi_typedarray_type type;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, length, &data, NULL, NULL) != napi_ok ||
      type != napi_int16_array) {
    napi_throw_type_error(env, NULL, "faxswitch_spandsp: samples must be an Int16Array");
    return false;
  }
  *samples = data;
  return true;
}

/* audioRx(handle, Int16Array) : feeds received 8 kHz samples to a terminal, gateway or detector */
static napi_value audio_rx(napi_env env, napi_callback_info info) {
  size_t argc = 2, length;
  napi_value argv[2];
  int16_t *samples;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL || !get_samples(env, argv[1], &samples, &length)) return NULL;
  if (!enter(env, s)) return NULL;
  if (s->fax) fax_rx(s->fax, samples, (int) length);
  else if (s->gateway) t38_gateway_rx(s->gateway, samples, (int) length);
  else if (s->tones) modem_connect_tones_rx(s->tones, samples, (int) length);
  leave(s);
  return NULL;
}

/* audioRxFillin(handle, count): tells the receiver `count` samples were lost */
static napi_value audio_rx_fillin(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t count;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL) return NULL;
  CHECK(napi_get_value_int32(env, argv[1], &count));
  if (!enter(env, s)) return NULL;
  if (s->fax) fax_rx_fillin(s->fax, count);
  else if (s->gateway) t38_gateway_rx_fillin(s->gateway, count);
  leave(s);
  return NULL;
}

/* audioTx(handle, Int16Array out) -> number of samples written */
static napi_value audio_tx(napi_env env, napi_callback_info info) {
  size_t argc = 2, length;
  napi_value argv[2], result;
  int16_t *samples;
  int produced = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL || !get_samples(env, argv[1], &samples, &length)) return NULL;
  if (!enter(env, s)) return NULL;
  if (s->fax) produced = fax_tx(s->fax, samples, (int) length);
  else if (s->gateway) produced = t38_gateway_tx(s->gateway, samples, (int) length);
  leave(s);
  napi_create_int32(env, produced, &result);
  return result;
}

/* stats(handle) -> T.30 transfer statistics (terminals) or gateway statistics */
static napi_value stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], obj;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->t30) return stats_object(env, s->t30);
  napi_create_object(env, &obj);
  if (s->gateway) {
    t38_stats_t st;
    memset(&st, 0, sizeof(st));
    t38_gateway_get_transfer_statistics(s->gateway, &st);
    set_int(env, obj, "bitRate", st.bit_rate);
    set_bool(env, obj, "ecm", st.error_correcting_mode != 0);
    set_int(env, obj, "pagesTransferred", st.pages_transferred);
  }
  return obj;
}

/* terminate(handle): ends the T.30 session now (the call dropped); phase E fires from here. */
static napi_value terminate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->t30 == NULL) return NULL;
  if (!enter(env, s)) return NULL;
  t30_terminate(s->t30);
  leave(s);
  return NULL;
}

/* release(handle): frees the SpanDSP state now instead of at garbage collection. */
static napi_value release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  session_t *s = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_external(env, argv[0], (void **) &s));
  if (s == NULL) return NULL;
  if (s->in_call) {
    napi_throw_error(env, "ERR_FAX_REENTRANT", "faxswitch_spandsp: cannot release from a callback");
    return NULL;
  }
  free_engine(s);
  return NULL;
}

/* completionCodeToString(code) */
static napi_value completion_code_to_string(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t code;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &code));
  napi_create_string_utf8(env, t30_completion_code_to_str(code), NAPI_AUTO_LENGTH, &result);
  return result;
}

/* ---------- received pages ---------- */

/* takeRxPage(handle, maxPixels) -> {rowBytes, height, data: Uint8Array} for the page SpanDSP ended
 * last, or null if there is none since the previous call. Throws ERR_FAX_PAGE_TOO_LARGE past
 * maxPixels (the page is dropped). */
static napi_value take_rx_page(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, arraybuffer, bytes;
  double max_pixels;
  void *data;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  session_t *s = get_session(env, argv[0]);
  if (s == NULL) return NULL;
  CHECK(napi_get_value_double(env, argv[1], &max_pixels));
  rx_page_t *page = &s->rx_page;
  if (!page->complete || page->height == 0) {
    napi_get_null(env, &result);
    return result;
  }
  page->complete = false;
  if ((double) page->row_bytes * 8 * page->height > max_pixels) {
    page->size = 0;
    napi_throw_error(env, "ERR_FAX_PAGE_TOO_LARGE", "received page exceeds the pixel limit");
    return NULL;
  }
  CHECK(napi_create_arraybuffer(env, page->size, &data, &arraybuffer));
  memcpy(data, page->rows, page->size);
  napi_create_typedarray(env, napi_uint8_array, page->size, arraybuffer, 0, &bytes);
  napi_create_object(env, &result);
  set_int(env, result, "rowBytes", (int64_t) page->row_bytes);
  set_int(env, result, "height", page->height);
  napi_set_named_property(env, result, "data", bytes);
  page->size = 0;
  page->height = 0;
  return result;
}

/* ---------- TIFF writer (libuv's thread pool) ---------- */

/* A TIFF file written page by page off the JS thread. Pages are copied when queued and written
 * in order, one piece of async work at a time, so only that work touches the TIFF handle; the
 * queue itself is only touched on the JS thread. */
typedef struct tiff_job {
  struct tiff_job *next;
  uint8_t *rows; /* NULL: close the file */
  uint32_t width, height, row_bytes, page;
  float x_dpi, y_dpi;
} tiff_job_t;

typedef struct {
  char *path;
  TIFF *tif;
  uint32_t pages;
  tiff_job_t *head, *tail;
  tiff_job_t *running;
  napi_async_work work;
  napi_ref self;  /* holds the handle while work is queued, so GC cannot free it under the pool */
  napi_ref on_closed;
  bool closed; /* no page may follow the close */
  char error[256];
} tiff_writer_t;

static void free_job(tiff_job_t *job) {
  free(job->rows);
  free(job);
}

static void finalize_writer(napi_env env, void *data, void *hint) {
  tiff_writer_t *w = data;
  while (w->head) {
    tiff_job_t *next = w->head->next;
    free_job(w->head);
    w->head = next;
  }
  if (w->tif) TIFFClose(w->tif);
  if (w->on_closed) napi_delete_reference(env, w->on_closed);
  if (w->self) napi_delete_reference(env, w->self);
  free(w->path);
  free(w);
}

static void write_job(napi_env env, void *data) {
  tiff_writer_t *w = data;
  tiff_job_t *job = w->running;
  if (w->error[0]) return; /* an earlier page failed: the file is not worth finishing */
  if (job->rows == NULL) {
    if (w->tif) TIFFClose(w->tif);
    w->tif = NULL;
    return;
  }
  if (w->tif == NULL && (w->tif = TIFFOpen(w->path, "w")) == NULL) {
    snprintf(w->error, sizeof(w->error), "cannot create %s", w->path);
  } else {
    TIFF *tif = w->tif;
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, job->width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, job->height);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, job->height);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, job->x_dpi);
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, job->y_dpi);
    TIFFSetField(tif, TIFFTAG_PAGENUMBER, (uint16_t) job->page, (uint16_t) 0);
    TIFFSetField(tif, TIFFTAG_SOFTWARE, "faxswitch");
    if (TIFFWriteEncodedStrip(tif, 0, job->rows, (tmsize_t) job->row_bytes * job->height) < 0 ||
        !TIFFWriteDirectory(tif))
      snprintf(w->error, sizeof(w->error), "cannot write page %u of %s", job->page + 1, w->path);
  }
}

static void start_next_job(napi_env env, tiff_writer_t *w);

static void job_done(napi_env env, napi_status status, void *data) {
  tiff_writer_t *w = data;
  tiff_job_t *job = w->running;
  w->running = NULL;
  napi_delete_async_work(env, w->work);
  w->work = NULL;
  bool closed = job->rows == NULL;
  free_job(job);
  if (closed && w->on_closed) {
    napi_value fn, global, arg, result;
    napi_get_reference_value(env, w->on_closed, &fn);
    napi_delete_reference(env, w->on_closed);
    w->on_closed = NULL;
    napi_get_global(env, &global);
    if (w->error[0]) napi_create_string_utf8(env, w->error, NAPI_AUTO_LENGTH, &arg);
    else napi_get_null(env, &arg);
    napi_call_function(env, global, fn, 1, &arg, &result);
  }
  start_next_job(env, w);
}

static void start_next_job(napi_env env, tiff_writer_t *w) {
  if (w->running != NULL) return;
  if (w->head == NULL) {
    uint32_t refs;
    napi_reference_unref(env, w->self, &refs);
    return;
  }
  w->running = w->head;
  w->head = w->head->next;
  if (w->head == NULL) w->tail = NULL;
  napi_value name;
  napi_create_string_utf8(env, "faxswitch:tiff-page", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, write_job, job_done, w, &w->work);
  napi_queue_async_work(env, w->work);
}

static void enqueue_job(napi_env env, tiff_writer_t *w, tiff_job_t *job) {
  bool idle = w->running == NULL && w->head == NULL;
  if (w->tail) w->tail->next = job;
  else w->head = job;
  w->tail = job;
  if (idle) {
    uint32_t refs;
    napi_reference_ref(env, w->self, &refs);
    start_next_job(env, w);
  }
}

static tiff_writer_t *get_writer(napi_env env, napi_value value) {
  tiff_writer_t *w = NULL;
  if (napi_get_value_external(env, value, (void **) &w) != napi_ok || w == NULL) {
    napi_throw_type_error(env, NULL, "faxswitch_spandsp: expected a TIFF writer");
    return NULL;
  }
  return w;
}

/* createTiffWriter(path) -> writer. The file is created with the first page. */
static napi_value create_tiff_writer(napi_env env, napi_callback_info info) {
  size_t argc = 1, len;
  napi_value argv[1], handle;
  char path[4096];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &len));
  tiff_writer_t *w = calloc(1, sizeof(tiff_writer_t));
  if (w == NULL || (w->path = strdup(path)) == NULL) {
    free(w);
    napi_throw_error(env, NULL, "faxswitch_spandsp: out of memory");
    return NULL;
  }
  if (napi_create_external(env, w, finalize_writer, NULL, &handle) != napi_ok) {
    free(w->path);
    free(w);
    napi_throw_error(env, NULL, "faxswitch_spandsp: cannot create a handle");
    return NULL;
  }
  napi_create_reference(env, handle, 0, &w->self);
  return handle;
}

/* tiffWriterAppend(writer, {width, height, rowBytes, xDpi, yDpi, data}): copies the page now and
 * writes it as the file's next page (G4) on the thread pool. */
static napi_value tiff_writer_append(napi_env env, napi_callback_info info) {
  size_t argc = 2, length;
  napi_value argv[2], v;
  int32_t width, height, row_bytes;
  double x_dpi, y_dpi;
  void *data;
  napi_typedarray_type type;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tiff_writer_t *w = get_writer(env, argv[0]);
  if (w == NULL) return NULL;
  if (w->closed) {
    napi_throw_error(env, NULL, "faxswitch_spandsp: the TIFF writer is closed");
    return NULL;
  }
  CHECK(napi_get_named_property(env, argv[1], "width", &v));
  CHECK(napi_get_value_int32(env, v, &width));
  CHECK(napi_get_named_property(env, argv[1], "height", &v));
  CHECK(napi_get_value_int32(env, v, &height));
  CHECK(napi_get_named_property(env, argv[1], "rowBytes", &v));
  CHECK(napi_get_value_int32(env, v, &row_bytes));
  CHECK(napi_get_named_property(env, argv[1], "xDpi", &v));
  CHECK(napi_get_value_double(env, v, &x_dpi));
  CHECK(napi_get_named_property(env, argv[1], "yDpi", &v));
  CHECK(napi_get_value_double(env, v, &y_dpi));
  CHECK(napi_get_named_property(env, argv[1], "data", &v));
  CHECK(napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL));
  if (type != napi_uint8_array || width <= 0 || height <= 0 || row_bytes < (width + 7) / 8 ||
      (size_t) row_bytes * (size_t) height > length) {
    napi_throw_range_error(env, NULL, "faxswitch_spandsp: page data does not match its geometry");
    return NULL;
  }
  tiff_job_t *job = calloc(1, sizeof(tiff_job_t));
  uint8_t *rows = malloc((size_t) row_bytes * (size_t) height);
  if (job == NULL || rows == NULL) {
    free(job);
    free(rows);
    napi_throw_error(env, NULL, "faxswitch_spandsp: out of memory");
    return NULL;
  }
  memcpy(rows, data, (size_t) row_bytes * (size_t) height);
  *job = (tiff_job_t){.rows = rows, .width = (uint32_t) width, .height = (uint32_t) height,
                      .row_bytes = (uint32_t) row_bytes, .page = w->pages++,
                      .x_dpi = (float) x_dpi, .y_dpi = (float) y_dpi};
  enqueue_job(env, w, job);
  return NULL;
}

/* tiffWriterClose(writer, done(error: string | null)): after the pages queued so far. */
static napi_value tiff_writer_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tiff_writer_t *w = get_writer(env, argv[0]);
  if (w == NULL) return NULL;
  if (w->closed) {
    napi_throw_error(env, NULL, "faxswitch_spandsp: the TIFF writer is already closed");
    return NULL;
  }
  w->closed = true;
  tiff_job_t *job = calloc(1, sizeof(tiff_job_t));
  if (job == NULL) {
    napi_throw_error(env, NULL, "faxswitch_spandsp: out of memory");
    return NULL;
  }
  CHECK(napi_create_reference(env, argv[1], 1, &w->on_closed));
  enqueue_job(env, w, job);
  return NULL;
}

/* ---------- thread scheduling ---------- */

/* struct sched_attr of sched_setattr(2): Debian 12's glibc does not declare it. */
struct faxswitch_sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

/* requestSchedulerSlice(microseconds) -> whether the kernel took it. Linux 6.12+ (EEVDF) lets a
 * SCHED_OTHER thread ask for a shorter time slice: it is then picked sooner when it wakes, for
 * the same share of CPU. No privilege needed; older kernels ignore the request (false). */
static napi_value request_scheduler_slice(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t micros;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &micros));
  bool applied = false;
#if defined(SYS_sched_setattr) && defined(SYS_sched_getattr)
  struct faxswitch_sched_attr attr;
  memset(&attr, 0, sizeof(attr));
  /* Keep the thread's policy and nice value; change only the slice. */
  if (micros > 0 && syscall(SYS_sched_getattr, 0, &attr, sizeof(attr), 0) == 0 &&
      attr.sched_policy == 0 /* SCHED_OTHER */) {
    attr.size = sizeof(attr);
    attr.sched_runtime = (uint64_t) micros * 1000;
    applied = syscall(SYS_sched_setattr, 0, &attr, 0) == 0 &&
              syscall(SYS_sched_getattr, 0, &attr, sizeof(attr), 0) == 0 &&
              attr.sched_runtime == (uint64_t) micros * 1000;
  }
#endif
  napi_get_boolean(env, applied, &result);
  return result;
}

/* ---------- module ---------- */

static void finalize_module(napi_env env, void *data, void *hint) {
  module_data_t *module = data;
  if (module->names) napi_delete_reference(env, module->names);
  free(module);
}

NAPI_MODULE_INIT() {
  module_data_t *module = calloc(1, sizeof(module_data_t));
  if (module == NULL) {
    napi_throw_error(env, NULL, "faxswitch_spandsp: out of memory");
    return NULL;
  }
  napi_value names;
  napi_create_array_with_length(env, EVENT_COUNT, &names);
  for (uint32_t i = 0; i < EVENT_COUNT; i++) {
    napi_value name;
    napi_create_string_utf8(env, EVENT_NAMES[i], NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, names, i, name);
  }
  napi_create_reference(env, names, 1, &module->names);
  napi_set_instance_data(env, module, finalize_module, NULL);
  napi_property_descriptor props[] = {
      {"createT38Terminal", NULL, create_t38_terminal, NULL, NULL, NULL, napi_default, NULL},
      {"createAudioTerminal", NULL, create_audio_terminal, NULL, NULL, NULL, napi_default, NULL},
      {"createGateway", NULL, create_gateway, NULL, NULL, NULL, napi_default, NULL},
      {"createToneDetector", NULL, create_tone_detector, NULL, NULL, NULL, napi_default, NULL},
      {"configure", NULL, configure, NULL, NULL, NULL, napi_default, NULL},
      {"t38RxIfp", NULL, t38_rx_ifp, NULL, NULL, NULL, napi_default, NULL},
      {"t38SendTimeout", NULL, t38_send_timeout, NULL, NULL, NULL, napi_default, NULL},
      {"audioRx", NULL, audio_rx, NULL, NULL, NULL, napi_default, NULL},
      {"audioRxFillin", NULL, audio_rx_fillin, NULL, NULL, NULL, napi_default, NULL},
      {"audioTx", NULL, audio_tx, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, stats, NULL, NULL, NULL, napi_default, NULL},
      {"terminate", NULL, terminate, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_default, NULL},
      {"completionCodeToString", NULL, completion_code_to_string, NULL, NULL, NULL, napi_default, NULL},
      {"requestSchedulerSlice", NULL, request_scheduler_slice, NULL, NULL, NULL, napi_default, NULL},
      {"takeRxPage", NULL, take_rx_page, NULL, NULL, NULL, napi_default, NULL},
      {"createTiffWriter", NULL, create_tiff_writer, NULL, NULL, NULL, napi_default, NULL},
      {"tiffWriterAppend", NULL, tiff_writer_append, NULL, NULL, NULL, napi_default, NULL},
      {"tiffWriterClose", NULL, tiff_writer_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
