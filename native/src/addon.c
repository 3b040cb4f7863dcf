/*
 * faxswitch's thin N-API binding to SpanDSP 0.0.6 (Debian libspandsp-dev). It exposes opaque
 * session handles (T.38 terminal, audio terminal, T.38<->audio gateway, connect-tone detector),
 * synchronous calls, and events delivered through one JS callback per session, invoked
 * synchronously from inside the call that triggered them. No threads, no async work, no policy:
 * pacing, UDPTL, RTP and error mapping live in TypeScript (src/fax, src/media).
 * It also reads one page of a TIFF file with libtiff (SpanDSP's own dependency), so a received
 * page can be handed upward as soon as the far end confirmed it.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <spandsp.h>

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

static void free_engine(session_t *s) {
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

/* Every T.30 control frame (not ECM image frames) as it goes out or comes in: the engine uses it to
 * see the moment a receiver confirms a page (MCF) rather than the moment the page ended. */
static void on_frame(t30_state_t *t30, void *user, int direction, const uint8_t msg[], int len) {
  session_t *s = user;
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

/* ---------- TIFF page reading ---------- */

static void silent_tiff_handler(const char *module, const char *fmt, va_list ap) {}

/* readTiffPage(path, pageIndex, maxPixels) -> {width, height, xResolution, yResolution,
 * resolutionUnit, pages, data: Uint8Array (1-bit rows, MSB first, 1 = black)} or null when the
 * page does not exist (yet). Only bilevel images; throws on anything else. */
static napi_value read_tiff_page(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], obj, arraybuffer, bytes, result;
  char path[4096];
  size_t len;
  int32_t index;
  double max_pixels;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &len));
  CHECK(napi_get_value_int32(env, argv[1], &index));
  CHECK(napi_get_value_double(env, argv[2], &max_pixels));
  TIFFErrorHandler old_error = TIFFSetErrorHandler(silent_tiff_handler);
  TIFFErrorHandler old_warning = TIFFSetWarningHandler(silent_tiff_handler);
  TIFF *tif = TIFFOpen(path, "r");
  napi_get_null(env, &result);
  if (tif == NULL) goto done;
  int pages = TIFFNumberOfDirectories(tif);
  if (index < 0 || index >= pages || !TIFFSetDirectory(tif, (uint16_t) index)) goto done;
  uint32_t width = 0, height = 0;
  uint16_t bps = 1, spp = 1, photometric = PHOTOMETRIC_MINISWHITE, unit = RESUNIT_INCH;
  float xres = 0, yres = 0;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres);
  TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres);
  TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
  if (bps != 1 || spp != 1 || width == 0 || height == 0 ||
      (double) width * (double) height > max_pixels) {
    TIFFClose(tif);
    napi_throw_error(env, "ERR_TIFF_UNSUPPORTED",
                     "TIFF page is not a bilevel image within the pixel limit");
    result = NULL;
    goto restore;
  }
  size_t row_bytes = (width + 7) / 8;
  tmsize_t scanline = TIFFScanlineSize(tif);
  uint8_t *rows = NULL;
  uint8_t *line = malloc((size_t) (scanline > (tmsize_t) row_bytes ? scanline : (tmsize_t) row_bytes));
  if (line == NULL || napi_create_arraybuffer(env, row_bytes * height, (void **) &rows, &arraybuffer) != napi_ok) {
    free(line);
    TIFFClose(tif);
    napi_throw_error(env, "ERR_TIFF_MEMORY", "TIFF page does not fit in memory");
    result = NULL;
    goto restore;
  }
  for (uint32_t y = 0; y < height; y++) {
    if (TIFFReadScanline(tif, line, y, 0) < 0) {
      free(line);
      TIFFClose(tif);
      napi_throw_error(env, "ERR_TIFF_CORRUPT", "TIFF page cannot be decoded");
      result = NULL;
      goto restore;
    }
    uint8_t *out = rows + (size_t) y * row_bytes;
    for (size_t i = 0; i < row_bytes; i++)
      out[i] = photometric == PHOTOMETRIC_MINISBLACK ? (uint8_t) ~line[i] : line[i];
    if (width % 8) out[row_bytes - 1] &= (uint8_t) (0xFF << (8 - width % 8));
  }
  free(line);
  napi_create_typedarray(env, napi_uint8_array, row_bytes * height, arraybuffer, 0, &bytes);
  napi_create_object(env, &obj);
  set_int(env, obj, "width", width);
  set_int(env, obj, "height", height);
  set_int(env, obj, "rowBytes", (int64_t) row_bytes);
  napi_value xv, yv;
  double scale = unit == RESUNIT_CENTIMETER ? 2.54 : 1.0;
  napi_create_double(env, xres * scale, &xv);
  napi_create_double(env, yres * scale, &yv);
  napi_set_named_property(env, obj, "xDpi", xv);
  napi_set_named_property(env, obj, "yDpi", yv);
  set_int(env, obj, "pages", pages);
  napi_set_named_property(env, obj, "data", bytes);
  result = obj;
done:
  if (tif) TIFFClose(tif);
restore:
  TIFFSetErrorHandler(old_error);
  TIFFSetWarningHandler(old_warning);
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
      {"readTiffPage", NULL, read_tiff_page, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
