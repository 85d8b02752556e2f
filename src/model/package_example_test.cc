// Reproduces the worked example of docs/model-package.md (placeholder).
#include <gtest/gtest.h>
