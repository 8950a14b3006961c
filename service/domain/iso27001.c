/* iso27001.c - the clauses and Annex A controls of ISO/IEC 27001:2022 (iso27001.h). */
#include "iso27001.h"

#include <stdio.h>
#include <string.h>

/* The requirement clauses of the 2022 edition (Amendment 1:2024 added none). */
static const char *const clauses[] = {
    "4",     "4.1",   "4.2",   "4.3",   "4.4",   "5",   "5.1",  "5.2",  "5.3", "6",   "6.1",
    "6.1.1", "6.1.2", "6.1.3", "6.2",   "6.3",   "7",   "7.1",  "7.2",  "7.3", "7.4", "7.5",
    "7.5.1", "7.5.2", "7.5.3", "8",     "8.1",   "8.2", "8.3",  "9",    "9.1", "9.2", "9.2.1",
    "9.2.2", "9.3",   "9.3.1", "9.3.2", "9.3.3", "10",  "10.1", "10.2", NULL};

/* Annex A: the four themes (clauses 5 to 8 of ISO/IEC 27002:2022) and their last control. */
static const struct {
    int theme;
    int last;
} themes[] = {{5, 37}, {6, 8}, {7, 14}, {8, 34}};
#define N_THEMES (sizeof themes / sizeof themes[0])

bool
iso_clause_known(const char *s)
{
    for (const char *const *c = clauses; *c; c++)
        if (strcmp(*c, s) == 0)
            return true;
    return false;
}

/* A number of 1 to 2 digits without a leading zero; returns its value, or -1. */
static int
small_number(const char *s, size_t n)
{
    if (n < 1 || n > 2 || s[0] < '1' || s[0] > '9' || strspn(s, "0123456789") < n)
        return -1;
    return n == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');
}

bool
iso_control_known(const char *s)
{
    if (strncmp(s, "A.", 2) != 0)
        return false;
    s += 2;
    size_t tn = strcspn(s, ".");
    if (s[tn] != '.')
        return false;
    int theme = small_number(s, tn);
    int number = small_number(s + tn + 1, strlen(s + tn + 1));
    for (size_t i = 0; i < N_THEMES; i++)
        if (themes[i].theme == theme)
            return number >= 1 && number <= themes[i].last;
    return false;
}

bool
iso_ref_known(const char *s)
{
    return iso_clause_known(s) || iso_control_known(s);
}

int
iso_control_count(void)
{
    int n = 0;
    for (size_t i = 0; i < N_THEMES; i++)
        n += themes[i].last;
    return n;
}

void
iso_control_id(int i, char out[ISO_CONTROL_ID_LEN])
{
    out[0] = '\0';
    for (size_t t = 0; t < N_THEMES && i >= 0; t++) {
        if (i < themes[t].last) {
            snprintf(out, ISO_CONTROL_ID_LEN, "A.%d.%d", themes[t].theme, i + 1);
            return;
        }
        i -= themes[t].last;
    }
}
