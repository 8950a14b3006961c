/*
 * iso27001.h - the references a case may make into ISO/IEC 27001:2022: its
 * clauses (4 to 10 and their sub-clauses) and the 93 controls of Annex A.
 * Pure: no I/O.
 *
 *   iso_clause_known    a clause of the 2022 edition, e.g. "9.2.1", "10.2"
 *   iso_control_known   an Annex A control, e.g. "A.5.15", "A.8.34"
 *   iso_ref_known       either
 *   iso_control_count, iso_control_id   the controls in catalogue order
 *
 * The controls table of the database (sql/0004) holds the same 93 controls
 * with their titles and themes; a test compares the two.
 */
#ifndef CAPA_ISO27001_H
#define CAPA_ISO27001_H

#include <stdbool.h>

#define ISO_CONTROL_ID_LEN                                                                         \
    24 /* room for "A.8.34" and its NUL, and for any int the formatter could see */

bool iso_clause_known(const char *s);
bool iso_control_known(const char *s);
bool iso_ref_known(const char *s);

/* The number of Annex A controls (93), and the i-th (0-based, A.5.1 first) into out. */
int iso_control_count(void);
void iso_control_id(int i, char out[ISO_CONTROL_ID_LEN]);

#endif
