/* wick-deploy-run: runs a model directory written by `wick compile`, using
 * nothing but the wick runtime's C API (wick_runtime.h).
 *
 *   wick-deploy-run DIR --input A.npy [--input B.npy ...] --output-dir OUT [--threads N]
 *
 * Writes OUT/output0.npy, OUT/output1.npy, ... Exits 0 on success, 2 for bad
 * usage, 1 with the runtime's message for anything else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/wick_runtime.h"

#define MAX_TENSORS 256

static const char* usage =
    "usage: wick-deploy-run DIR --input A.npy [--input B.npy ...] --output-dir OUT [--threads N]\n";

static int failed(const char* what) {
  fprintf(stderr, "wick-deploy-run: %s: %s\n", what, wick_last_error());
  return 1;
}

int main(int argc, char** argv) {
  const char* dir = NULL;
  const char* out_dir = NULL;
  const char* input_paths[MAX_TENSORS];
  size_t num_inputs = 0;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--input") == 0 || strcmp(a, "--output-dir") == 0 || strcmp(a, "--threads") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "wick-deploy-run: %s needs a value\n%s", a, usage);
        return 2;
      }
      const char* v = argv[++i];
      if (strcmp(a, "--input") == 0) {
        if (num_inputs == MAX_TENSORS) {
          fprintf(stderr, "wick-deploy-run: too many inputs\n");
          return 2;
        }
        input_paths[num_inputs++] = v;
      } else if (strcmp(a, "--output-dir") == 0) {
        out_dir = v;
      } else {
        char* end = NULL;
        long n = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || n < 1 || n > 4096) {
          fprintf(stderr, "wick-deploy-run: bad thread count '%s'\n", v);
          return 2;
        }
        threads = (int)n;
      }
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      printf("%s", usage);
      return 0;
    } else if (a[0] == '-') {
      fprintf(stderr, "wick-deploy-run: unknown option %s\n%s", a, usage);
      return 2;
    } else if (!dir) {
      dir = a;
    } else {
      fprintf(stderr, "wick-deploy-run: more than one model directory given\n%s", usage);
      return 2;
    }
  }
  if (!dir || !out_dir) {
    fprintf(stderr, "wick-deploy-run: a model directory and --output-dir are required\n%s", usage);
    return 2;
  }
  if (threads > 0 && wick_set_num_threads(threads) != WICK_OK) return failed("--threads");

  wick_model* model = NULL;
  if (wick_model_open(dir, &model) != WICK_OK) return failed("cannot open the model");
  int rc = 0;
  wick_tensor* inputs[MAX_TENSORS] = {0};
  wick_tensor* outputs[MAX_TENSORS] = {0};
  wick_buffer buffers[MAX_TENSORS];
  const int64_t num_outputs = wick_model_num_outputs(model);
  if ((int64_t)num_inputs != wick_model_num_inputs(model)) {
    fprintf(stderr, "wick-deploy-run: the model takes %lld inputs, %zu given\n",
            (long long)wick_model_num_inputs(model), num_inputs);
    rc = 1;
    goto done;
  }
  if (num_outputs < 0 || num_outputs > MAX_TENSORS) {
    fprintf(stderr, "wick-deploy-run: the model has too many outputs\n");
    rc = 1;
    goto done;
  }
  for (size_t i = 0; i < num_inputs; ++i) {
    if (wick_npy_read(input_paths[i], &inputs[i]) != WICK_OK) {
      rc = failed("cannot read an input");
      goto done;
    }
    buffers[i] = wick_tensor_buffer(inputs[i]);
  }
  if (wick_model_run_alloc(model, buffers, num_inputs, outputs, (size_t)num_outputs) != WICK_OK) {
    rc = failed("the model failed");
    goto done;
  }
  if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "wick-deploy-run: cannot create %s: %s\n", out_dir, strerror(errno));
    rc = 1;
    goto done;
  }
  for (int64_t i = 0; i < num_outputs; ++i) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/output%lld.npy", out_dir, (long long)i) >= (int)sizeof path) {
      fprintf(stderr, "wick-deploy-run: output path too long\n");
      rc = 1;
      goto done;
    }
    if (wick_npy_write(path, outputs[i]) != WICK_OK) {
      rc = failed("cannot write an output");
      goto done;
    }
  }

done:
  for (size_t i = 0; i < MAX_TENSORS; ++i) {
    wick_tensor_free(inputs[i]);
    wick_tensor_free(outputs[i]);
  }
  wick_model_close(model);
  return rc;
}
