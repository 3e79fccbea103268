/** Which role a dropped file most likely plays, from its name (the server checks the bytes anyway). */
const BY_EXTENSION: [RegExp, string[]][] = [
  [/\.(mp4|m4v|webm|mov|avi|mkv)$/i, ['微课视频', '素材']],
  [/\.(docx?|odt|rtf)$/i, ['教学设计', '学习任务单', '作业练习', '试卷', '素材']],
  [/\.(pptx?|odp|key)$/i, ['课件', '素材']],
  [/\.pdf$/i, ['学习任务单', '教学设计', '课件', '作业练习', '试卷', '素材']],
  [/\.(txt|md)$/i, ['作业练习', '学习任务单', '教学设计', '试卷', '素材']],
  [/\.(xlsx?|ods|csv)$/i, ['作业练习', '素材']],
  [/\.(mp3|m4a|wav|ogg|flac|aac)$/i, ['音频', '素材']],
]

export function guessRole(name: string, allowed: string[], taken: string[]): string {
  const preferences = BY_EXTENSION.find(([pattern]) => pattern.test(name))?.[1] ?? ['素材']
  const usable = preferences.filter((role) => allowed.includes(role))
  return usable.find((role) => !taken.includes(role)) ?? usable[0] ?? allowed[0] ?? '素材'
}
