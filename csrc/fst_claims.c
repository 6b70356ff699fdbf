/* fst_claims.c - slots claimed once across forked processes (fst_claims.h). */
#include "fst_claims.h"

#include <stdatomic.h>
#include <sys/mman.h>

#include "fst_alloc.h"

/* Atomics in memory shared between processes must not hide a lock inside
 * one process: only lock-free ones are address-free. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "claims need lock-free 32-bit atomics");

struct fst_claims {
  _Atomic uint32_t *slots; /* the shared mapping, n_slots long */
  size_t n_slots;
};

int fst_claims_new(size_t n_slots, fst_claims **out) {
  *out = NULL;
  if (n_slots == 0 || n_slots > FST_CLAIMS_MAX_SLOTS) return FST_CLAIMS_ERR_ARG;
  fst_claims *self = fst_calloc(1, sizeof *self);
  if (!self) return FST_CLAIMS_ERR_NOMEM;
  /* Anonymous mappings start zeroed: every slot free. */
  void *slots = mmap(NULL, n_slots * sizeof *self->slots, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (slots == MAP_FAILED) {
    fst_free(self);
    return FST_CLAIMS_ERR_SYSTEM;
  }
  self->slots = slots;
  self->n_slots = n_slots;
  *out = self;
  return 0;
}

void fst_claims_delete(fst_claims *self) {
  if (!self) return;
  munmap((void *)self->slots, self->n_slots * sizeof *self->slots);
  fst_free(self);
}

size_t fst_claims_count(const fst_claims *self) { return self->n_slots; }

int fst_claims_take(fst_claims *self, size_t slot, uint32_t who) {
  if (slot >= self->n_slots || who == 0) return FST_CLAIMS_ERR_ARG;
  uint32_t expected = 0;
  if (atomic_compare_exchange_strong(&self->slots[slot], &expected, who)) return 1;
  return expected == who; /* the holder it found */
}

uint32_t fst_claims_holder(const fst_claims *self, size_t slot) {
  if (slot >= self->n_slots) return 0;
  return atomic_load(&self->slots[slot]);
}
