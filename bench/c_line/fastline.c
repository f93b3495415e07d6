#define PY_SSIZE_T_CLEAN
#include <Python.h>
/* A measurement prototype, not part of the package (bench/c_line_bench.py builds and times it):
   what making a breakdown line in C would cost, to weigh a compiled line formatter (issue 9).

   line(values, kinds, calls, places, unit) makes one CSV line of the tuple `values`, a byte of
   `kinds` per value: D a decimal at `places` decimals (rounded half even, trailing zeros
   dropped, "-0" as "0": `incentives.io.cells.exact_cell(value, None, places)`), M the same
   for money keeping at least `unit` decimals (`exact_cell(value, unit, places)`), B a boolean
   (None empty), S a text written as it is, I an int; P, and a D or M value whose text holds
   an exponent or is too long, is made by the Python callable at the same place in `calls`.
   None is an empty cell whatever its kind. No quoting: the prototype's texts hold no comma. */
static PyObject *DecimalType = NULL;

static int round_text(const char *s, Py_ssize_t n, int places, int keep, char *out, Py_ssize_t *outn) {
    /* s: plain decimal text (no exponent). write rounded half-even at `places`, strip zeros
       keeping at least `keep` decimals. return 0 ok, -1 fallback */
    Py_ssize_t dot = -1;
    for (Py_ssize_t i = 0; i < n; i++) { char c = s[i]; if (c == '.' && dot < 0) dot = i; else if (c < '0' || c > '9') { if (c != '-' || i) return -1; } }
    if (n > 200) return -1;
    char buf[256]; Py_ssize_t len;
    int neg = s[0] == '-';
    if (dot < 0) { memcpy(buf, s, n); len = n; }
    else {
        Py_ssize_t frac = n - dot - 1;
        if (frac <= places) { memcpy(buf, s, n); len = n; }
        else {
            /* half-even at places */
            Py_ssize_t cut = dot + 1 + places; /* first dropped digit index */
            int up = 0; char d = s[cut];
            if (d > '5') up = 1;
            else if (d == '5') {
                int rest = 0; for (Py_ssize_t i = cut + 1; i < n; i++) if (s[i] != '0') { rest = 1; break; }
                if (rest) up = 1;
                else { char prev = places > 0 ? s[cut - 1] : s[dot - 1]; up = ((prev - '0') & 1); }
            }
            memcpy(buf + 1, s, cut); len = cut + 1; buf[0] = '0';
            /* buf[1..] holds s[0..cut) ; carry */
            if (up) {
                Py_ssize_t i = len - 1;
                for (;;) {
                    if (buf[i] == '.') { i--; continue; }
                    if (buf[i] == '-') { /* insert 1 after sign: shift */ return -1; }
                    if (buf[i] == '9') { buf[i] = '0'; i--; if (i < 0) return -1; continue; }
                    if (buf[i] >= '0' && buf[i] <= '8') { buf[i]++; break; }
                    return -1;
                }
            }
            /* drop the leading '0' pad unless it became '1' */
            if (buf[0] == '0') { memmove(buf, buf + 1, len - 1); len--; }
            else if (neg) return -1;
            if (places == 0) len--; /* drop the dot */
        }
    }
    /* strip every trailing zero (and a bare dot), "-0" is "0", then pad to `keep` decimals */
    Py_ssize_t d2 = -1; for (Py_ssize_t i = 0; i < len; i++) if (buf[i] == '.') { d2 = i; break; }
    if (d2 >= 0) {
        while (len > d2 + 1 && buf[len - 1] == '0') len--;
        if (len == d2 + 1) { len--; d2 = -1; }
    }
    if (len == 2 && buf[0] == '-' && buf[1] == '0') { buf[0] = '0'; len = 1; }
    if (keep > 0) {
        Py_ssize_t have = d2 < 0 ? 0 : (len - d2 - 1);
        if (d2 < 0) buf[len++] = '.';
        while (have < keep) { buf[len++] = '0'; have++; }
    }
    memcpy(out, buf, len); *outn = len; return 0;
}

static char *grow(char *out, Py_ssize_t *cap, Py_ssize_t need) {
    /* `out` at least `need` bytes long (freed when it cannot be) */
    while (*cap < need) *cap *= 2;
    char *more = PyMem_Realloc(out, *cap);
    if (!more) PyMem_Free(out);
    return more;
}

static PyObject *line(PyObject *self, PyObject *args) {
    PyObject *values, *calls; const char *kinds; Py_ssize_t nk; int places, unit;
    if (!PyArg_ParseTuple(args, "O!s#O!ii", &PyTuple_Type, &values, &kinds, &nk, &PyTuple_Type, &calls, &places, &unit)) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(values);
    if (nk != n) { PyErr_SetString(PyExc_ValueError, "kinds"); return NULL; }
    Py_ssize_t cap = 4096, pos = 0;
    char *out = PyMem_Malloc(cap);
    if (!out) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PyTuple_GET_ITEM(values, i);
        if (pos + 512 > cap && !(out = grow(out, &cap, pos + 512))) return PyErr_NoMemory();
        if (i) out[pos++] = ',';
        char k = kinds[i];
        if (v == Py_None) continue;
        if (k == 'B') { if (v == Py_True) { memcpy(out + pos, "true", 4); pos += 4; } else { memcpy(out + pos, "false", 5); pos += 5; } continue; }
        PyObject *t = NULL;
        if ((k == 'D' || k == 'M') && Py_TYPE(v) == (PyTypeObject *)DecimalType) {
            t = PyObject_Str(v); if (!t) goto fail;
            Py_ssize_t tn; const char *ts = PyUnicode_AsUTF8AndSize(t, &tn);
            if (!ts) { Py_DECREF(t); goto fail; }
            Py_ssize_t rn; if (round_text(ts, tn, places, k == 'M' ? unit : 0, out + pos, &rn) == 0) { pos += rn; Py_DECREF(t); continue; }
            Py_DECREF(t); t = NULL;
            PyObject *f = PyTuple_GET_ITEM(calls, i);
            t = PyObject_CallOneArg(f, v); if (!t) goto fail;
        } else if (k == 'P' || k == 'D' || k == 'M') {
            PyObject *f = PyTuple_GET_ITEM(calls, i);
            t = PyObject_CallOneArg(f, v); if (!t) goto fail;
        } else { t = PyObject_Str(v); if (!t) goto fail; }
        Py_ssize_t tn; const char *ts = PyUnicode_AsUTF8AndSize(t, &tn);
        if (!ts) { Py_DECREF(t); goto fail; }
        if (pos + tn + 2 > cap) {
            char *more = grow(out, &cap, pos + tn + 2);
            if (!more) { Py_DECREF(t); PyMem_Free(out); return PyErr_NoMemory(); }
            out = more;
        }
        memcpy(out + pos, ts, tn); pos += tn; Py_DECREF(t);
    }
    out[pos++] = '\n';
    PyObject *r = PyUnicode_DecodeUTF8(out, pos, NULL); PyMem_Free(out); return r;
fail: PyMem_Free(out); return NULL;
}
static PyMethodDef M[] = {{"line", line, METH_VARARGS, ""}, {NULL}};
static struct PyModuleDef D = {PyModuleDef_HEAD_INIT, "fastline", NULL, -1, M};
PyMODINIT_FUNC PyInit_fastline(void) {
    PyObject *dec = PyImport_ImportModule("decimal"); if (!dec) return NULL;
    DecimalType = PyObject_GetAttrString(dec, "Decimal");
    return PyModule_Create(&D);
}
