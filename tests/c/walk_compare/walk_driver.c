/* walk_driver.c - prints fst_walk's entries for compare.py.
 *
 * Arguments are key=value: pf= (python_files), nr= (norecursedirs; "nr=" alone
 * means none), ig= (--ignore), igg= (--ignore-glob), root=, cc= (confcutdir),
 * venv=1 (--collect-in-virtualenv), ci=DIR|p1,p2 (a conftest's collect_ignore).
 * Output: kind (MECOX), errno and path, tab-separated, one entry a line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fst_walk.h"

#define MAXN 64
int main(int argc, char **argv) {
  const char *pf[MAXN], *nr[MAXN], *ig[MAXN], *igg[MAXN], *roots[MAXN];
  size_t npf = 0, nnr = 0, nig = 0, nigg = 0, nroots = 0, nci = 0;
  fst_walk_conftest_ignores ci[MAXN];
  const char *cilists[MAXN][MAXN];
  fst_walk_config config = {0};
  int nr_given = 0;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i], *eq = strchr(a, '=');
    if (!eq) continue;
    *eq = '\0';
    char *v = eq + 1;
    if (!strcmp(a, "pf")) pf[npf++] = v;
    else if (!strcmp(a, "nr")) { nr_given = 1; if (*v) nr[nnr++] = v; }
    else if (!strcmp(a, "ig")) ig[nig++] = v;
    else if (!strcmp(a, "igg")) igg[nigg++] = v;
    else if (!strcmp(a, "root")) roots[nroots++] = v;
    else if (!strcmp(a, "cc")) config.confcutdir = v;
    else if (!strcmp(a, "venv")) config.collect_in_virtualenv = 1;
    else if (!strcmp(a, "ci")) { /* DIR|p1,p2 */
      char *bar = strchr(v, '|');
      *bar = '\0';
      memset(&ci[nci], 0, sizeof ci[nci]);
      ci[nci].dir = v;
      ci[nci].has_collect_ignore = 1;
      size_t n = 0;
      for (char *tok = strtok(bar + 1, ","); tok; tok = strtok(NULL, ",")) cilists[nci][n++] = tok;
      ci[nci].collect_ignore = cilists[nci];
      ci[nci].n_collect_ignore = n;
      nci++;
    }
  }
  static const char *dpf[] = {"test_*.py", "*_test.py"};
  static const char *dnr[] = {"*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}"};
  config.python_files = npf ? pf : dpf;
  config.n_python_files = npf ? npf : 2;
  config.norecursedirs = nr_given ? nr : dnr;
  config.n_norecursedirs = nr_given ? nnr : 9;
  config.ignore = ig; config.n_ignore = nig;
  config.ignore_glob = igg; config.n_ignore_glob = nigg;
  fst_walk_result r = {0};
  if (fst_walk(&config, roots, nroots, &r) != 0) return 2;
  if (nci && fst_walk_apply_collect_ignore(&r, ci, nci) < 0) return 2;
  static const char kinds[] = "MECOX";
  for (size_t i = 0; i < r.n_entries; i++) printf("%c\t%d\t%s\n", kinds[r.entries[i].kind], r.entries[i].error, r.entries[i].path);
  fst_walk_result_clear(&r);
  return 0;
}
